#include "eval/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace migpower {
namespace {

Frame two_instance_frame(double t, double truth_a, double truth_b) {
  Frame frame;
  frame.timestamp_s = t;
  frame.gpu_uuid = "GPU-test";
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

FrameAttribution shares(double measured, double a, double b) {
  FrameAttribution attribution;
  attribution.has_power = true;
  attribution.measured_w = measured;
  attribution.shares = {{1, a, 0.0, a}, {2, b, 0.0, b}};
  return attribution;
}

TEST(ErrorAccumulator, MatchesHandComputedErrors) {
  ErrorAccumulator errors;
  EnergyLedger ledger;
  // Frame 1: truth 10/20, estimate 12/18. Frame 2: truth 40/60, estimate 40/60.
  const Frame f1 = two_instance_frame(100.0, 10.0, 20.0);
  const Frame f2 = two_instance_frame(101.0, 40.0, 60.0);
  const FrameAttribution a1 = shares(30.0, 12.0, 18.0);
  const FrameAttribution a2 = shares(100.0, 40.0, 60.0);
  errors.add(f1, a1);
  ledger.add(f1, a1);
  errors.add(f2, a2);
  ledger.add(f2, a2);

  const auto per_instance = errors.instance_errors(ledger);
  ASSERT_EQ(per_instance.size(), 2u);
  const InstanceErrors& first = per_instance[0].gpu_i_id == 1 ? per_instance[0] : per_instance[1];
  const InstanceErrors& second = per_instance[0].gpu_i_id == 1 ? per_instance[1] : per_instance[0];
  EXPECT_EQ(first.frames, 2u);
  EXPECT_NEAR(first.mape_pct, (20.0 + 0.0) / 2.0, 1e-12);      // |12-10|/10, then exact
  EXPECT_NEAR(first.mae_w, 1.0, 1e-12);                        // (2 + 0) / 2
  EXPECT_NEAR(first.rmse_w, std::sqrt(4.0 / 2.0), 1e-12);      // sqrt((4 + 0) / 2)
  EXPECT_NEAR(second.mape_pct, (10.0 + 0.0) / 2.0, 1e-12);     // |18-20|/20
  EXPECT_NEAR(errors.wape_pct(), 100.0 * 4.0 / 130.0, 1e-12);  // (2+2) / (10+20+40+60)
  EXPECT_NEAR(errors.aggregate_error_pct(), 0.0, 1e-12);
  EXPECT_EQ(errors.frames_with_truth(), 2u);
  // Only the second frame closes an interval: both instances were exact there.
  EXPECT_NEAR(first.energy_error_pct, 0.0, 1e-9);
}

TEST(ErrorAccumulator, AggregateErrorSeesSharesThatMissTheCard) {
  ErrorAccumulator errors;
  errors.add(two_instance_frame(1.0, 10.0, 10.0), shares(20.0, 5.0, 5.0));  // half is missing
  EXPECT_NEAR(errors.aggregate_error_pct(), 50.0, 1e-12);
  EXPECT_NEAR(errors.max_aggregate_error_w(), 10.0, 1e-12);
}

TEST(ErrorAccumulator, TinyTruthIsLeftOutOfMapeOnly) {
  ErrorAccumulator errors;
  EnergyLedger ledger;
  const Frame frame = two_instance_frame(1.0, 0.01, 50.0);
  const FrameAttribution attribution = shares(50.01, 1.01, 49.0);
  errors.add(frame, attribution);
  ledger.add(frame, attribution);
  const auto per_instance = errors.instance_errors(ledger);
  ASSERT_EQ(per_instance.size(), 2u);
  for (const auto& e : per_instance) {
    if (e.gpu_i_id == 1) {
      EXPECT_EQ(e.mape_pct, 0.0);  // no frame with truth >= 1 W
      EXPECT_NEAR(e.mae_w, 1.0, 1e-12);
    } else {
      EXPECT_NEAR(e.mape_pct, 2.0, 1e-12);
    }
  }
}

TEST(ErrorAccumulator, FramesWithoutTruthOrPowerAreNotScored) {
  ErrorAccumulator errors;
  Frame frame = two_instance_frame(1.0, 10.0, 10.0);
  for (auto& instance : frame.instances) instance.truth_power_w.reset();
  errors.add(frame, shares(20.0, 10.0, 10.0));
  FrameAttribution no_power;
  errors.add(two_instance_frame(2.0, 10.0, 10.0), no_power);
  EXPECT_EQ(errors.frames(), 2u);
  EXPECT_EQ(errors.frames_with_truth(), 0u);
  EXPECT_EQ(errors.wape_pct(), 0.0);
}

}  // namespace
}  // namespace migpower
