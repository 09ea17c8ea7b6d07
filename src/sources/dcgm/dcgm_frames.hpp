// A tick's values: every watched field read into the cards and instances (missing values keep
// their reason), and a card copied into the Frame the source hands out.
#pragma once

#include "core/frame.hpp"
#include "sources/dcgm/dcgm_state.hpp"

namespace migpower::dcgm_source {

// Reads the latest values of every watched field. False when there are none this tick.
bool read_values(State& s);

// `card` as a frame stamped with the tick's time.
void fill_frame(const State& s, const DcgmCard& card, Frame& frame);

}  // namespace migpower::dcgm_source
