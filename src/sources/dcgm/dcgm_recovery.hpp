// Error handling while running: what a failed DCGM call means for the source, how a failed read
// is settled, and how a lost connection is dropped and set up again with a growing backoff.
#pragma once

#include <string>
#include <string_view>

#include "sources/dcgm/dcgm_state.hpp"

namespace migpower::dcgm_source {

// What a failed call means for the source.
enum class Outcome {
  reconnect,  // the connection, the GPU or our groups are gone: set everything up again
  transient,  // no values this tick; ask again next tick
  fatal,      // will not work: end with the message
};

[[nodiscard]] Outcome classify(dcgm::Return code);

// Handles a failed read: false means no frames this tick. Throws DcgmError when the failure is
// fatal.
bool settle(State& s, std::string_view call, dcgm::Return code);

// Tears the connection down after `message` (told once per loss) and reconnects at the next tick.
void lose(State& s, const std::string& message);

// Sets up again once the backoff has passed; true when connected again.
bool try_reconnect(State& s);

}  // namespace migpower::dcgm_source
