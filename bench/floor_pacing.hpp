#pragma once
// Pacing for the bare floor programs (nvml_poll_floor, scrape_floor): a monotonic clock and an
// absolute sleep, with nothing of migpower linked in.
#include <time.h>

namespace floor_pacing {

inline double now_s() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

// Sleeps until now_s() reaches t, in one sleep (restarted if a signal cuts it short).
inline void sleep_until(double t) {
  timespec until{};
  until.tv_sec = static_cast<time_t>(t);
  until.tv_nsec = static_cast<long>((t - static_cast<double>(until.tv_sec)) * 1e9);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) != 0) {
  }
}

}  // namespace floor_pacing
