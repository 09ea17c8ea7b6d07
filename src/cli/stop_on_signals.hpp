#pragma once

#include <atomic>
#include <memory>

namespace migpower::cli {

// Set by SIGINT/SIGTERM while a StopOnSignals lives; the handler also wakes the live clock's
// waits (wake_live_sleepers), so a paced source or a retry ends at once and the command shuts
// down cleanly. A lock-free atomic may be written from a signal handler.
[[nodiscard]] const std::atomic<bool>& stop_requested();

// Installs the stop handlers for the life of a command and puts the old ones back after.
class StopOnSignals {
 public:
  StopOnSignals();
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct Saved;
  std::unique_ptr<Saved> saved_;
};

}  // namespace migpower::cli
