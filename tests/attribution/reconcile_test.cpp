#include "attribution/reconcile.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <numeric>
#include <random>
#include <vector>

namespace migpower {
namespace {

TEST(Reconcile, ScalesWeightsToTheTotal) {
  const std::vector<double> w = {2.4, 1.0, 0.0, 0.6};
  const std::vector<double> fb = {3, 2, 1, 1};
  std::vector<double> out(4);
  distribute(195.0, w, fb, out);
  EXPECT_NEAR(out[0], 195.0 * 2.4 / 4.0, 1e-9);
  EXPECT_NEAR(out[1], 195.0 * 1.0 / 4.0, 1e-9);
  EXPECT_EQ(out[2], 0.0);
  EXPECT_NEAR(out[3], 195.0 * 0.6 / 4.0, 1e-9);
}

TEST(Reconcile, WattEstimatesAreScaledNotAdded) {
  // A model predicting 100 W and 50 W while the card's dynamic power is 75 W.
  const std::vector<double> w = {100.0, 50.0};
  const std::vector<double> fb = {1, 1};
  std::vector<double> out(2);
  distribute(75.0, w, fb, out);
  EXPECT_NEAR(out[0], 50.0, 1e-12);
  EXPECT_NEAR(out[1], 25.0, 1e-12);
}

TEST(Reconcile, NegativeAndNonFiniteEstimatesCountAsZero) {
  const std::vector<double> w = {-5.0, 3.0, std::numeric_limits<double>::quiet_NaN(), 1.0};
  const std::vector<double> fb = {1, 1, 1, 1};
  std::vector<double> out(4);
  distribute(8.0, w, fb, out);
  EXPECT_EQ(out[0], 0.0);
  EXPECT_NEAR(out[1], 6.0, 1e-12);
  EXPECT_EQ(out[2], 0.0);
  EXPECT_NEAR(out[3], 2.0, 1e-12);
}

TEST(Reconcile, AllZeroWeightsUseTheFallback) {
  const std::vector<double> w = {0.0, 0.0, 0.0};
  const std::vector<double> fb = {3, 2, 2};
  std::vector<double> out(3);
  distribute(70.0, w, fb, out);
  EXPECT_NEAR(out[0], 30.0, 1e-12);
  EXPECT_NEAR(out[1], 20.0, 1e-12);
  EXPECT_NEAR(out[2], 20.0, 1e-12);
}

TEST(Reconcile, ZeroTotalGivesZeros) {
  const std::vector<double> w = {1.0, 2.0};
  std::vector<double> out = {7.0, 7.0};
  distribute(0.0, w, w, out);
  EXPECT_EQ(out[0], 0.0);
  EXPECT_EQ(out[1], 0.0);
}

TEST(Reconcile, SumIsExactToRoundingOnAwkwardNumbers) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> weight(0.0, 1.0);
  std::uniform_real_distribution<double> total(0.0, 1000.0);
  for (int trial = 0; trial < 1000; ++trial) {
    std::vector<double> w(7), out(7);
    for (double& x : w) x = weight(rng) < 0.3 ? 0.0 : weight(rng) * 1e-3;
    const double t = total(rng);
    distribute(t, w, std::vector<double>(7, 1.0), out);
    const double sum = std::accumulate(out.begin(), out.end(), 0.0);
    EXPECT_NEAR(sum, t, 1e-12 * std::max(1.0, t));
    for (double x : out) EXPECT_GE(x, 0.0);
  }
}

TEST(Reconcile, PositiveSumIgnoresBadWeights) {
  const std::vector<double> w = {1.5, -2.0, std::numeric_limits<double>::infinity(), 0.5};
  EXPECT_DOUBLE_EQ(positive_sum(w), 2.0);
}

}  // namespace
}  // namespace migpower
