#include "export/report_decimate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace migpower {
namespace {

// A day of 1 s frames: a slow wave, with one spike and one dip the decimation must keep.
double card_power(int i) {
  if (i == 51234) return 900.0;
  if (i == 70001) return 5.0;
  return 200.0 + 100.0 * std::sin(i / 3000.0);
}

TEST(KeyedMinMaxDecimator, KeepsEveryFrameWhenTheyFit) {
  KeyedMinMaxDecimator decimator(100);
  for (int i = 0; i < 50; ++i) {
    const std::vector<double> row = {static_cast<double>(i % 7), static_cast<double>(i)};
    decimator.add(i, row);
  }
  const DecimatedSeries out = decimator.finish();
  // Buckets of one frame hold it as both their lowest and highest: each frame once.
  ASSERT_EQ(out.t.size(), 50u);
  ASSERT_EQ(out.columns.size(), 2u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(out.t[i], i);
    EXPECT_EQ(out.columns[1][i], i);
  }
}

TEST(KeyedMinMaxDecimator, BoundsTheDrawnPointsAndKeepsExtremesOfTheKey) {
  constexpr std::size_t kMaxPoints = 2000;
  KeyedMinMaxDecimator decimator(kMaxPoints);
  for (int i = 0; i < 86400; ++i) {
    // The second value is a function of time, to check that kept rows stay whole.
    const std::vector<double> row = {card_power(i), 3.0 * i};
    decimator.add(i, row);
  }
  EXPECT_EQ(decimator.frames(), 86400u);
  const DecimatedSeries out = decimator.finish();
  EXPECT_LE(out.t.size(), kMaxPoints);
  EXPECT_GE(out.t.size(), kMaxPoints / 4);
  EXPECT_TRUE(std::is_sorted(out.t.begin(), out.t.end()));
  const auto& key = out.columns[0];
  EXPECT_EQ(*std::max_element(key.begin(), key.end()), 900.0);
  EXPECT_EQ(*std::min_element(key.begin(), key.end()), 5.0);
  for (std::size_t i = 0; i < out.t.size(); ++i) {
    EXPECT_EQ(out.columns[1][i], 3.0 * out.t[i]) << "row at t=" << out.t[i] << " mixes frames";
    EXPECT_EQ(key[i], card_power(static_cast<int>(out.t[i])));
  }
}

TEST(KeyedMinMaxDecimator, ReadsMissingValuesOfShortRowsAsNaN) {
  KeyedMinMaxDecimator decimator(100);
  decimator.add(0.0, std::vector<double>{10.0});
  decimator.add(1.0, std::vector<double>{20.0, 5.0});  // a new instance appears
  const DecimatedSeries out = decimator.finish();
  ASSERT_EQ(out.columns.size(), 2u);
  EXPECT_TRUE(std::isnan(out.columns[1][0]));
  EXPECT_EQ(out.columns[1][1], 5.0);
}

TEST(SeriesMinMaxDecimator, KeepsEachSeriesExtremesOnItsOwn) {
  constexpr std::size_t kMaxPoints = 1000;
  SeriesMinMaxDecimator decimator(kMaxPoints);
  const double nan = std::nan("");
  for (int i = 0; i < 100000; ++i) {
    const double a = i == 777 ? 1000.0 : std::sin(i / 100.0);
    const double b = i == 99000 ? -50.0 : std::cos(i / 100.0);
    const double c = i < 50000 ? nan : 7.0;  // appears half way
    decimator.add(i * 0.5, std::vector<double>{a, b, c});
  }
  const DecimatedSeries out = decimator.finish();
  EXPECT_LE(out.t.size(), kMaxPoints);
  EXPECT_TRUE(std::is_sorted(out.t.begin(), out.t.end()));
  auto max_of = [](const std::vector<double>& v) {
    double m = -INFINITY;
    for (const double x : v) {
      if (!std::isnan(x)) m = std::max(m, x);
    }
    return m;
  };
  EXPECT_EQ(max_of(out.columns[0]), 1000.0);
  double min_b = INFINITY;
  for (const double x : out.columns[1]) min_b = std::min(min_b, x);
  EXPECT_EQ(min_b, -50.0);
  // The late series is NaN before it starts and 7 after.
  EXPECT_TRUE(std::isnan(out.columns[2].front()));
  EXPECT_EQ(out.columns[2].back(), 7.0);
  for (const auto& column : out.columns) EXPECT_EQ(column.size(), out.t.size());
}

}  // namespace
}  // namespace migpower
