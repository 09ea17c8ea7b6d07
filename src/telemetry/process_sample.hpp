#pragma once

// ProcessSample lives in core (the attribution layer splits power by it, and a layer includes
// only the layers left of it); this header stays for the telemetry code that names it here.
#include "core/process_sample.hpp"
