// The watches: a DCGM group and field group for the cards' fields and another for the instances'
// (profiling fields and FB_USED, or FB_USED alone when profiling is unavailable), and dropping
// them again. How often DCGM samples and how long it keeps samples is decided here.
#pragma once

#include "sources/dcgm/dcgm_state.hpp"

namespace migpower::dcgm_source {

// Watches the card fields of every card and the instance fields of every instance in s.cards,
// and forces a first update. Throws DcgmError when the card fields cannot be watched.
void watch(State& s);

// Stops watching `w` and destroys its groups; the calls are only attempted.
void drop_watch(const State& s, Watch& w);

}  // namespace migpower::dcgm_source
