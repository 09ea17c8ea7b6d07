#pragma once

#include <atomic>
#include <functional>

namespace migpower {

// Wall time and waiting for live sources, behind an interface so that tests run a recording of
// minutes in microseconds.
class LiveClock {
 public:
  virtual ~LiveClock() = default;
  // Seconds since the epoch.
  [[nodiscard]] virtual double now_s() = 0;
  // Waits until now_s() >= t. Returns false, early, once *stop becomes true (stop may be null).
  virtual bool sleep_until(double t, const std::atomic<bool>* stop) = 0;
};

// The real clock: the system's wall time. It waits in one sleep per wait (not in short slices:
// each wake-up of an idle agent costs CPU), which wake_live_sleepers() cuts short.
[[nodiscard]] LiveClock& system_live_clock();

// Ends the system clock's current waits at once so they see their stop flag: set the flag, then
// call this. Async-signal-safe (it writes one byte to a pipe), so a SIGINT handler may call it.
// A wait that misses the byte (another thread's wait took it) still sees the flag within 1 s.
void wake_live_sleepers() noexcept;

// A clock that only moves when told: sleep_until jumps to t at once and then calls on_sleep, so a
// test can change the world (advance a fake library) between ticks.
class ManualClock : public LiveClock {
 public:
  explicit ManualClock(double start_s = 1767225600.0) : now_(start_s) {}
  [[nodiscard]] double now_s() override { return now_; }
  bool sleep_until(double t, const std::atomic<bool>* stop) override;
  void advance(double seconds) { now_ += seconds; }

  std::function<void(double)> on_sleep;  // called with the new time after each sleep

 private:
  double now_;
};

}  // namespace migpower
