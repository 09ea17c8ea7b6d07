// Picking up a MIG layout changed while running: the hierarchy is read again every
// layout_check_interval_s (or at once when DCGM says an instance is gone), and when it differs
// the watches are rebuilt for the new instances.
#pragma once

#include "sources/dcgm/dcgm_state.hpp"

namespace migpower::dcgm_source {

// Reads the hierarchy again; when it changed, watches the new instances. A lost connection is
// handed to recovery; a failure that is not a loss keeps the layout read before.
void check_layout(State& s);

}  // namespace migpower::dcgm_source
