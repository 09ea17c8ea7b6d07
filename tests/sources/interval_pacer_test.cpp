#include "sources/interval_pacer.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/error.hpp"

namespace migpower {
namespace {

std::vector<double> run(IntervalPacer& pacer, double start) {
  std::vector<double> offsets;
  while (const auto tick = pacer.wait()) offsets.push_back(*tick - start);
  return offsets;
}

TEST(IntervalPacer, TicksOneIntervalApartUntilTheDurationEnds) {
  ManualClock clock(100.0);
  IntervalPacer pacer(clock, 0.25, 1.0);
  EXPECT_EQ(run(pacer, 100.0), (std::vector<double>{0.0, 0.25, 0.5, 0.75}));
  EXPECT_EQ(pacer.ticks(), 4u);
}

TEST(IntervalPacer, ThirtySecondsAtOneSecondIsThirtyTicks) {
  ManualClock clock(0.1);  // a start that is not a round number
  IntervalPacer pacer(clock, 1.0, 30.0);
  EXPECT_EQ(run(pacer, 0.1).size(), 30u);
}

TEST(IntervalPacer, LateTicksAreDroppedNotBunched) {
  ManualClock clock(0.0);
  IntervalPacer pacer(clock, 1.0, 10.0);
  ASSERT_EQ(pacer.wait(), 0.0);
  clock.advance(3.4);            // a slow re-discovery: ticks 1 and 2 are missed
  EXPECT_EQ(pacer.wait(), 3.4);  // tick 3, late, at once
  EXPECT_EQ(pacer.wait(), 4.0);  // then back on the grid
}

TEST(IntervalPacer, StopEndsTheWait) {
  ManualClock clock(0.0);
  std::atomic<bool> stop{false};
  IntervalPacer pacer(clock, 1.0, std::nullopt, &stop);
  clock.on_sleep = [&](double now) { stop = now >= 2.0; };
  EXPECT_EQ(run(pacer, 0.0), (std::vector<double>{0.0, 1.0}));
}

TEST(IntervalPacer, RejectsNonPositiveIntervalOrDuration) {
  ManualClock clock;
  EXPECT_THROW(IntervalPacer(clock, 0.0, std::nullopt), InputError);
  EXPECT_THROW(IntervalPacer(clock, -1.0, std::nullopt), InputError);
  EXPECT_THROW(IntervalPacer(clock, 1.0, 0.0), InputError);
}

TEST(LiveClock, SystemClockSleepsUntilTheTimeOrAStop) {
  LiveClock& clock = system_live_clock();
  const double start = clock.now_s();
  EXPECT_GT(start, 1.7e9);  // seconds since the epoch
  EXPECT_TRUE(clock.sleep_until(start + 0.02, nullptr));
  EXPECT_GE(clock.now_s(), start + 0.02);
  std::atomic<bool> stop{true};
  EXPECT_FALSE(clock.sleep_until(start + 60.0, &stop));  // returns at once
}

}  // namespace
}  // namespace migpower
