// Discovery: the GPUs DCGM supports, their names, UUIDs and MIG modes, and the MIG hierarchy (GPU
// instances, their compute instances and profiles), read into State::cards. It runs at every
// setup and layout check; the watches are built from what it finds.
#pragma once

#include "sources/dcgm/dcgm_state.hpp"

namespace migpower::dcgm_source {

// Replaces s.cards with the GPUs, their names, MIG modes and instances; without MIG a card is
// its one instance. Throws DcgmError when DCGM sees no GPU or a call that cannot be done without
// fails.
void discover(State& s);

}  // namespace migpower::dcgm_source
