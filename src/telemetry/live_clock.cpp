#include "telemetry/live_clock.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

namespace migpower {
namespace {

class SystemLiveClock : public LiveClock {
 public:
  double now_s() override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  bool sleep_until(double t, const std::atomic<bool>* stop) override {
    constexpr double kSlice = 0.05;
    while (true) {
      if (stop != nullptr && stop->load()) return false;
      const double left = t - now_s();
      if (left <= 0.0) return true;
      std::this_thread::sleep_for(std::chrono::duration<double>(std::min(left, kSlice)));
    }
  }
};

}  // namespace

LiveClock& system_live_clock() {
  static SystemLiveClock clock;
  return clock;
}

bool ManualClock::sleep_until(double t, const std::atomic<bool>* stop) {
  if (stop != nullptr && stop->load()) return false;
  now_ = std::max(now_, t);
  if (on_sleep) on_sleep(now_);
  return stop == nullptr || !stop->load();
}

}  // namespace migpower
