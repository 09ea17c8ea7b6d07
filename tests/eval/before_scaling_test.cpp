#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "eval/metrics.hpp"

namespace migpower {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Frame two_instances(double t, double truth_a, double truth_b) {
  Frame frame;
  frame.timestamp_s = t;
  frame.gpu_uuid = "GPU-before";
  frame.gpu_model = "NVIDIA A100-SXM4-40GB";
  frame.power_w = truth_a + truth_b;
  for (int id : {1, 2}) {
    InstanceSample instance;
    instance.gpu_i_id = id;
    instance.profile = id == 1 ? "3g.20gb" : "4g.20gb";
    instance.compute_slices = id == 1 ? 3 : 4;
    instance.truth_power_w = id == 1 ? truth_a : truth_b;
    frame.instances.push_back(instance);
  }
  return frame;
}

// Shares a, b (after scaling) whose unscaled estimates were ea, eb.
FrameAttribution shares(double measured, double a, double b, double ea, double eb) {
  FrameAttribution attribution;
  attribution.has_power = true;
  attribution.measured_w = measured;
  attribution.shares = {{1, a, 0.0, a, ea}, {2, b, 0.0, b, eb}};
  return attribution;
}

const InstanceErrors& by_id(const std::vector<InstanceErrors>& errors, int id) {
  return errors[0].gpu_i_id == id ? errors[0] : errors[1];
}

TEST(BeforeScaling, MatchesHandComputedErrors) {
  ErrorAccumulator errors;
  EnergyLedger ledger;
  // Frame 1: truth 10/20, scaled 12/18, unscaled 15/25 (sum 40 for a measured 30).
  // Frame 2: truth 40/60, scaled 40/60, unscaled 44/66 (sum 110 for a measured 100).
  const Frame f1 = two_instances(100.0, 10.0, 20.0);
  const Frame f2 = two_instances(101.0, 40.0, 60.0);
  const FrameAttribution a1 = shares(30.0, 12.0, 18.0, 15.0, 25.0);
  const FrameAttribution a2 = shares(100.0, 40.0, 60.0, 44.0, 66.0);
  for (const auto& [f, a] : {std::pair{f1, a1}, std::pair{f2, a2}}) {
    errors.add(f, a);
    ledger.add(f, a);
  }
  const auto per_instance = errors.instance_errors(ledger);
  ASSERT_EQ(per_instance.size(), 2u);
  const InstanceErrors& first = by_id(per_instance, 1);
  const InstanceErrors& second = by_id(per_instance, 2);
  ASSERT_TRUE(first.mape_before_pct.has_value());
  ASSERT_TRUE(second.mape_before_pct.has_value());
  EXPECT_NEAR(*first.mape_before_pct, 100.0 * (5.0 / 10.0 + 4.0 / 40.0) / 2.0, 1e-12);
  EXPECT_NEAR(*second.mape_before_pct, 100.0 * (5.0 / 20.0 + 6.0 / 60.0) / 2.0, 1e-12);
  EXPECT_NEAR(first.mape_pct, 100.0 * (2.0 / 10.0) / 2.0, 1e-12);  // after scaling, unchanged
  ASSERT_TRUE(errors.wape_before_pct().has_value());
  EXPECT_NEAR(*errors.wape_before_pct(), 100.0 * (5.0 + 5.0 + 4.0 + 6.0) / 130.0, 1e-12);
  ASSERT_TRUE(errors.aggregate_error_before_pct().has_value());
  EXPECT_NEAR(*errors.aggregate_error_before_pct(), 100.0 * (10.0 / 30.0 + 10.0 / 100.0) / 2.0,
              1e-12);
  EXPECT_NEAR(errors.aggregate_error_pct(), 0.0, 1e-12);  // the scaled shares sum to the card
}

TEST(BeforeScaling, WeightBasedMethodsHaveNone) {
  ErrorAccumulator errors;
  EnergyLedger ledger;
  const Frame f = two_instances(1.0, 10.0, 20.0);
  const FrameAttribution a = shares(30.0, 12.0, 18.0, kNaN, kNaN);
  errors.add(f, a);
  ledger.add(f, a);
  for (const auto& e : errors.instance_errors(ledger)) EXPECT_FALSE(e.mape_before_pct);
  EXPECT_FALSE(errors.wape_before_pct());
  EXPECT_FALSE(errors.aggregate_error_before_pct());
}

TEST(BeforeScaling, AFrameCountsInTheAggregateOnlyWhenEveryInstanceHasAnEstimate) {
  ErrorAccumulator errors;
  EnergyLedger ledger;
  // Frame 1: instance 2 has no estimate; frame 2: both, 20 % over the card; static power
  // left unattributed counts in the sum (10 W of 110).
  const Frame f1 = two_instances(1.0, 10.0, 20.0);
  const FrameAttribution a1 = shares(30.0, 10.0, 20.0, 20.0, kNaN);
  const Frame f2 = two_instances(2.0, 50.0, 60.0);
  FrameAttribution a2 = shares(110.0, 45.0, 55.0, 60.0, 62.0);
  a2.unattributed_w = 10.0;
  for (const auto& [f, a] : {std::pair{f1, a1}, std::pair{f2, a2}}) {
    errors.add(f, a);
    ledger.add(f, a);
  }
  ASSERT_TRUE(errors.aggregate_error_before_pct().has_value());
  EXPECT_NEAR(*errors.aggregate_error_before_pct(), 100.0 * 22.0 / 110.0, 1e-12);
  const auto per_instance = errors.instance_errors(ledger);
  EXPECT_NEAR(*by_id(per_instance, 1).mape_before_pct, 100.0 * (10.0 / 10.0 + 10.0 / 50.0) / 2.0,
              1e-12);
  EXPECT_NEAR(*by_id(per_instance, 2).mape_before_pct, 100.0 * (2.0 / 60.0), 1e-12);
  EXPECT_NEAR(*errors.wape_before_pct(), 100.0 * (10.0 + 10.0 + 2.0) / (10.0 + 50.0 + 60.0), 1e-12);
}

}  // namespace
}  // namespace migpower
