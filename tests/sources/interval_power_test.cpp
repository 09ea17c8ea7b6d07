#include "sources/interval_power.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "vector_source.hpp"

namespace migpower {
namespace {

TEST(IntervalPower, IsTheCountersGrowthOverTheTimeBetweenReadings) {
  IntervalPower power;
  EXPECT_FALSE(power.next(100.0, 5'000'000.0));              // nothing before the first reading
  EXPECT_DOUBLE_EQ(*power.next(100.5, 5'200'000.0), 400.0);  // 200 J in 0.5 s
  EXPECT_DOUBLE_EQ(*power.next(102.5, 5'300'000.0), 50.0);   // 100 J in 2 s
}

TEST(IntervalPower, GivesNoneWhereTheCounterCannotSay) {
  IntervalPower power;
  ASSERT_FALSE(power.next(0.0, 1000.0));
  EXPECT_FALSE(power.next(1.0, std::nullopt));  // a frame without the counter
  EXPECT_FALSE(power.next(2.0, 3000.0));        // nothing to subtract from
  EXPECT_DOUBLE_EQ(*power.next(3.0, 4000.0), 1.0);
  EXPECT_FALSE(power.next(3.0, 5000.0));            // time did not move
  EXPECT_FALSE(power.next(4.0, 100.0));             // the counter went back: a reset
  EXPECT_DOUBLE_EQ(*power.next(5.0, 2100.0), 2.0);  // counting on from the reset
  power.reset();
  EXPECT_FALSE(power.next(6.0, 9100.0));
}

Frame card(const char* uuid, double t, double power_w, std::optional<double> energy_mj) {
  Frame frame;
  frame.gpu_uuid = uuid;
  frame.timestamp_s = t;
  frame.power_w = power_w;
  frame.energy_mj = energy_mj;
  return frame;
}

TEST(IntervalPowerSource, ReplacesEachGpusPowerWithItsOwnCountersMean) {
  test::VectorSource inner({card("GPU-a", 0, 120, 0), card("GPU-b", 0, 90, 1e6),
                            card("GPU-a", 1, 125, 471'000), card("GPU-b", 1, 95, 1e6 + 60'000),
                            card("GPU-a", 2, 130, std::nullopt)});
  IntervalPowerSource source(inner);
  std::vector<double> power;
  Frame frame;
  while (source.next(frame)) power.push_back(*frame.power_w);
  // First frames and the frame without a counter keep their reading.
  EXPECT_EQ(power, (std::vector<double>{120, 90, 471, 60, 130}));
  EXPECT_EQ(source.frames_from_counter(), 2u);
  EXPECT_EQ(source.frames_kept(), 3u);
}

}  // namespace
}  // namespace migpower
