// A DCGM session's life: dcgmInit, reaching the host engine (started embedded or connected to),
// setting up the cards and watches on that connection, and undoing it. State's constructor and
// destructor, which open the library and shut DCGM down, are defined with these.
#pragma once

#include "sources/dcgm/dcgm_state.hpp"

namespace migpower::dcgm_source {

// Initializes DCGM and sets up; schedules the first layout check. Throws DcgmError.
void start(State& s);

// Connects, finds the GPUs and instances, and watches their fields. Throws DcgmError.
void setup(State& s);

// Starts the embedded host engine, or connects to options.host_engine. Throws DcgmError.
void connect(State& s);

// Undoes setup; every call may fail (the host engine may be gone) and is only attempted.
void teardown(State& s);

}  // namespace migpower::dcgm_source
