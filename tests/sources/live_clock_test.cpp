#include "sources/live_clock.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace migpower {
namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(SystemLiveClock, WaitsUntilTheDeadline) {
  LiveClock& clock = system_live_clock();
  const double deadline = clock.now_s() + 0.05;
  EXPECT_TRUE(clock.sleep_until(deadline, nullptr));
  EXPECT_GE(clock.now_s(), deadline);
}

// A stop with a wake ends a long wait well before the clock's 1 s longest single wait would.
TEST(SystemLiveClock, AWakeEndsAWaitAtOnce) {
  LiveClock& clock = system_live_clock();
  std::atomic<bool> stop{false};
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop.store(true);
    wake_live_sleepers();
  });
  const bool reached = clock.sleep_until(clock.now_s() + 30.0, &stop);
  const double waited_s = seconds_since(start);
  stopper.join();
  EXPECT_FALSE(reached);
  EXPECT_LT(waited_s, 0.9);
}

// A wake without a stop does not end the wait: it goes on to its deadline.
TEST(SystemLiveClock, AWakeWithoutAStopKeepsWaiting) {
  LiveClock& clock = system_live_clock();
  std::atomic<bool> stop{false};
  const double deadline = clock.now_s() + 0.2;
  std::thread waker([] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    wake_live_sleepers();
  });
  EXPECT_TRUE(clock.sleep_until(deadline, &stop));
  waker.join();
  EXPECT_GE(clock.now_s(), deadline);
}

// A stop set without a wake (by code that does not call wake_live_sleepers) is still seen, within
// the longest single wait.
TEST(SystemLiveClock, AStopWithoutAWakeIsSeenWithinASecond) {
  LiveClock& clock = system_live_clock();
  std::atomic<bool> stop{false};
  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop.store(true);
  });
  EXPECT_FALSE(clock.sleep_until(clock.now_s() + 30.0, &stop));
  stopper.join();
  EXPECT_LT(seconds_since(start), 5.0);
}

}  // namespace
}  // namespace migpower
