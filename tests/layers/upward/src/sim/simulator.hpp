#pragma once
// Allowed: the simulator uses the core layer.
#include "core/frame.hpp"
