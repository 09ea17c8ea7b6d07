#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "sources/live_clock.hpp"

namespace migpower {

// Paces a live source: tick k is due at start + k * interval. The first tick is due at once. A
// tick that is already late when asked for (a slow call, a re-discovery) is dropped rather than
// fired in a burst, so frames stay about one interval apart.
class IntervalPacer {
 public:
  // `duration_s`: ticks are due only before start + duration (none: until stopped). Throws
  // InputError when the interval or duration is not positive and finite.
  IntervalPacer(LiveClock& clock, double interval_s, std::optional<double> duration_s,
                const std::atomic<bool>* stop = nullptr);

  // Waits for the next tick and returns the clock's time then, or nullopt at the end (duration
  // over, or stop requested).
  [[nodiscard]] std::optional<double> wait();

  [[nodiscard]] std::uint64_t ticks() const { return ticks_; }
  [[nodiscard]] double interval_s() const { return interval_s_; }

 private:
  LiveClock& clock_;
  double interval_s_;
  std::optional<double> duration_s_;
  const std::atomic<bool>* stop_;
  std::optional<double> start_s_;
  std::uint64_t next_ = 0;   // index of the next tick
  std::uint64_t ticks_ = 0;  // ticks fired
};

}  // namespace migpower
