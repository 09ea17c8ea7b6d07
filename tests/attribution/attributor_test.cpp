#include "attribution/attributor.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "attribution/test_frames.hpp"

namespace migpower {
namespace {

using testing::a100_mixed;
using testing::frame;
using testing::instance;

constexpr double kTol = 1e-9;

FrameAttribution run(SplitMethod method, IdlePolicy policy, const Frame& f) {
  Attributor attributor({method, policy, Activity::gr_engine});
  FrameAttribution out;
  attributor.attribute(f, out);
  return out;
}

// Checks the shares against hand-computed static and dynamic watts, and the invariants.
void expect_shares(const FrameAttribution& got, const std::vector<double>& static_w,
                   const std::vector<double>& dynamic_w) {
  ASSERT_TRUE(got.has_power);
  ASSERT_EQ(got.shares.size(), static_w.size());
  double sum = got.unattributed_w;
  for (std::size_t i = 0; i < static_w.size(); ++i) {
    EXPECT_NEAR(got.shares[i].static_w, static_w[i], kTol) << "instance " << i;
    EXPECT_NEAR(got.shares[i].dynamic_w, dynamic_w[i], kTol) << "instance " << i;
    EXPECT_NEAR(got.shares[i].power_w, static_w[i] + dynamic_w[i], kTol) << "instance " << i;
    sum += got.shares[i].power_w;
  }
  EXPECT_NEAR(sum, got.measured_w, kTol * std::max(1.0, got.measured_w));
}

// A100 40GB, 3g+2g+1g+1g, 250 W measured, 55 W idle floor: 195 W dynamic.
// GR activity 0.8, 0.5, 0.0, 0.6.
constexpr double kIdle = 55.0;
constexpr double kDyn = 250.0 - 55.0;

TEST(Attributor, UtilizationWithSlicesPolicy) {
  const auto got = run(SplitMethod::utilization, IdlePolicy::slices, a100_mixed(250.0));
  EXPECT_DOUBLE_EQ(got.measured_w, 250.0);
  EXPECT_DOUBLE_EQ(got.static_w, kIdle);
  EXPECT_EQ(got.unattributed_w, 0.0);
  // Dynamic weights: 3 x 0.8 = 2.4, 2 x 0.5 = 1.0, 0, 1 x 0.6 = 0.6; sum 4.0.
  expect_shares(got, {kIdle * 3 / 7, kIdle * 2 / 7, kIdle / 7, kIdle / 7},
                {kDyn * 2.4 / 4.0, kDyn * 1.0 / 4.0, 0.0, kDyn * 0.6 / 4.0});
  EXPECT_EQ(got.shares[0].gpu_i_id, 1);
  EXPECT_EQ(got.shares[3].gpu_i_id, 4);
  EXPECT_NEAR(got.shares[0].power_w, 55.0 * 3 / 7 + 117.0, kTol);  // 140.571428...
}

TEST(Attributor, SlicesBaseline) {
  const auto got = run(SplitMethod::slices, IdlePolicy::slices, a100_mixed(250.0));
  expect_shares(got, {kIdle * 3 / 7, kIdle * 2 / 7, kIdle / 7, kIdle / 7},
                {kDyn * 3 / 7, kDyn * 2 / 7, kDyn / 7, kDyn / 7});
  EXPECT_NEAR(got.shares[0].power_w, 250.0 * 3 / 7, kTol);
}

TEST(Attributor, EqualBaseline) {
  const auto got = run(SplitMethod::equal, IdlePolicy::slices, a100_mixed(250.0));
  expect_shares(got, {kIdle * 3 / 7, kIdle * 2 / 7, kIdle / 7, kIdle / 7},
                {kDyn / 4, kDyn / 4, kDyn / 4, kDyn / 4});
}

TEST(Attributor, ActivePolicySplitsStaticEvenlyAmongActive) {
  const auto got = run(SplitMethod::utilization, IdlePolicy::active, a100_mixed(250.0));
  // Instances 1, 2, 4 are active (GR > 0.05); instance 3 (GR 0) gets no static power.
  expect_shares(got, {kIdle / 3, kIdle / 3, 0.0, kIdle / 3},
                {kDyn * 2.4 / 4.0, kDyn * 1.0 / 4.0, 0.0, kDyn * 0.6 / 4.0});
  EXPECT_EQ(got.shares[2].power_w, 0.0);
}

TEST(Attributor, NonePolicyLeavesStaticUnattributed) {
  const auto got = run(SplitMethod::slices, IdlePolicy::none, a100_mixed(250.0));
  EXPECT_DOUBLE_EQ(got.unattributed_w, kIdle);
  EXPECT_DOUBLE_EQ(got.static_w, kIdle);
  expect_shares(got, {0, 0, 0, 0}, {kDyn * 3 / 7, kDyn * 2 / 7, kDyn / 7, kDyn / 7});
}

TEST(Attributor, PowerBelowIdleFloorIsAllStatic) {
  const auto got = run(SplitMethod::utilization, IdlePolicy::slices, a100_mixed(40.0));
  EXPECT_DOUBLE_EQ(got.static_w, 40.0);
  expect_shares(got, {40.0 * 3 / 7, 40.0 * 2 / 7, 40.0 / 7, 40.0 / 7}, {0, 0, 0, 0});
}

TEST(Attributor, ZeroWattsGivesZeroShares) {
  const auto got = run(SplitMethod::utilization, IdlePolicy::slices, a100_mixed(0.0));
  EXPECT_TRUE(got.has_power);
  EXPECT_EQ(got.static_w, 0.0);
  expect_shares(got, {0, 0, 0, 0}, {0, 0, 0, 0});
}

TEST(Attributor, IdleCardSplitsDynamicBySlices) {
  Frame f = a100_mixed(100.0);
  for (auto& s : f.instances) s.set(Activity::gr_engine, 0.0);
  const auto got = run(SplitMethod::utilization, IdlePolicy::active, f);
  // Nobody active: static by slices too. 45 W dynamic by slices.
  expect_shares(got, {kIdle * 3 / 7, kIdle * 2 / 7, kIdle / 7, kIdle / 7},
                {45.0 * 3 / 7, 45.0 * 2 / 7, 45.0 / 7, 45.0 / 7});
}

TEST(Attributor, InstanceWithMissingActivity) {
  Frame f = a100_mixed(250.0);
  f.instances[1].activity = {};  // 2g: no GR at all
  f.instances[3].activity = {};  // 1g (id 4): no GR, but SM busy
  f.instances[3].set(Activity::sm, 0.7);
  // Utilization weights: 2.4, 0, 0, 0 -> all dynamic to instance 1.
  expect_shares(run(SplitMethod::utilization, IdlePolicy::slices, f),
                {kIdle * 3 / 7, kIdle * 2 / 7, kIdle / 7, kIdle / 7}, {kDyn, 0, 0, 0});
  // Active: instance 1 (GR 0.8) and instance 4 (no GR, SM 0.7) are active.
  expect_shares(run(SplitMethod::utilization, IdlePolicy::active, f), {kIdle / 2, 0, 0, kIdle / 2},
                {kDyn, 0, 0, 0});
}

TEST(Attributor, FrameWithoutPower) {
  Attributor attributor({});
  FrameAttribution out;
  attributor.attribute(a100_mixed(250.0), out);
  ASSERT_FALSE(out.shares.empty());
  attributor.attribute(a100_mixed(std::nullopt), out);
  EXPECT_FALSE(out.has_power);
  EXPECT_TRUE(out.shares.empty());
  EXPECT_EQ(out.measured_w, 0.0);
  EXPECT_EQ(out.unattributed_w, 0.0);
  // A negative or NaN reading is not a measurement either.
  attributor.attribute(a100_mixed(-3.0), out);
  EXPECT_FALSE(out.has_power);
  attributor.attribute(a100_mixed(std::nan("")), out);
  EXPECT_FALSE(out.has_power);
}

TEST(Attributor, FrameWithoutInstancesIsAllUnattributed) {
  Attributor attributor({});
  FrameAttribution out;
  attributor.attribute(frame("GPU-a100", "NVIDIA A100-SXM4-40GB", 180.0), out);
  EXPECT_TRUE(out.has_power);
  EXPECT_TRUE(out.shares.empty());
  EXPECT_DOUBLE_EQ(out.unattributed_w, 180.0);
  EXPECT_DOUBLE_EQ(out.static_w, 55.0);
}

TEST(Attributor, UnknownModelUsesRunningMinimumAsIdleFloor) {
  Attributor attributor({SplitMethod::slices, IdlePolicy::slices, Activity::gr_engine});
  FrameAttribution out;
  auto make = [](double power) {
    Frame f = frame("GPU-new", "NVIDIA Future GPU", power);
    f.instances = {instance(1, "3g.40gb", 3, 0.5), instance(2, "1g.10gb", 1, 0.5)};
    return f;
  };
  attributor.attribute(make(120.0), out);  // first reading: all static
  EXPECT_DOUBLE_EQ(out.static_w, 120.0);
  expect_shares(out, {90.0, 30.0}, {0, 0});
  attributor.attribute(make(80.0), out);
  EXPECT_DOUBLE_EQ(out.static_w, 80.0);
  attributor.attribute(make(200.0), out);  // floor stays at the 80 W minimum
  EXPECT_DOUBLE_EQ(out.static_w, 80.0);
  expect_shares(out, {60.0, 20.0}, {90.0, 30.0});
}

TEST(Attributor, StateIsPerGpu) {
  Attributor attributor({});
  FrameAttribution out;
  attributor.attribute(frame("u1", "Mystery", 50.0), out);
  attributor.attribute(frame("u2", "Mystery", 150.0), out);
  EXPECT_DOUBLE_EQ(out.static_w, 150.0);
}

TEST(Attributor, ReusesOutputStorage) {
  Attributor attributor({});
  FrameAttribution out;
  attributor.attribute(a100_mixed(250.0), out);
  const InstanceShare* data = out.shares.data();
  for (double p : {100.0, 300.0, 20.0}) {
    attributor.attribute(a100_mixed(p), out);
    EXPECT_EQ(out.shares.data(), data);
  }
}

// A stand-in for a model-based method: fixed watt estimates, one negative.
class FixedWatts final : public DynamicEstimator {
 public:
  void estimate(const Frame&, std::span<double> out) override {
    const std::array<double, 4> watts = {120.0, 60.0, -10.0, 20.0};
    std::copy_n(watts.begin(), out.size(), out.begin());
  }
  [[nodiscard]] std::string_view name() const override { return "fixed"; }
};

TEST(Attributor, PluggableEstimatorIsReconciledToMeasured) {
  Attributor attributor({SplitMethod::utilization, IdlePolicy::none, Activity::gr_engine},
                        std::make_unique<FixedWatts>());
  EXPECT_EQ(attributor.method_name(), "fixed");
  FrameAttribution out;
  attributor.attribute(a100_mixed(250.0), out);
  // Predictions sum to 200 W (the negative counts as 0); measured dynamic is 195 W.
  expect_shares(out, {0, 0, 0, 0}, {195.0 * 120 / 200, 195.0 * 60 / 200, 0, 195.0 * 20 / 200});
}

TEST(Attributor, MethodNameFollowsOptions) {
  EXPECT_EQ(Attributor({SplitMethod::equal, IdlePolicy::slices, Activity::gr_engine}).method_name(),
            "equal");
}

// Conservation over many random frames, for every method and policy.
TEST(Attributor, ConservationProperty) {
  std::mt19937_64 rng(20250117);
  std::uniform_int_distribution<int> count(1, 7);
  std::uniform_int_distribution<int> slices(0, 7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const std::array<const char*, 4> models = {"NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3",
                                             "NVIDIA A30", "Unknown GPU"};
  std::vector<Attributor> attributors;
  for (SplitMethod m : {SplitMethod::equal, SplitMethod::slices, SplitMethod::utilization}) {
    for (IdlePolicy p : {IdlePolicy::slices, IdlePolicy::active, IdlePolicy::none}) {
      attributors.emplace_back(AttributionOptions{m, p, Activity::gr_engine});
    }
  }
  FrameAttribution out;
  int checked = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const auto gpu = static_cast<std::size_t>(trial % 4);
    Frame f = frame("GPU-" + std::to_string(gpu), models[gpu], std::nullopt);
    const double r = unit(rng);
    f.power_w = r < 0.05 ? 0.0 : r < 0.25 ? unit(rng) * 60.0 : unit(rng) * 700.0;
    const int n = count(rng);
    for (int i = 0; i < n; ++i) {
      InstanceSample s = instance(i + 1, "1g.5gb", slices(rng));
      for (std::size_t a = 0; a < kActivityCount; ++a) {
        const double pick = unit(rng);
        if (pick < 0.3) continue;  // missing
        s.activity[a] = pick < 0.5 ? 0.0 : unit(rng);
      }
      f.instances.push_back(std::move(s));
    }
    for (Attributor& attributor : attributors) {
      attributor.attribute(f, out);
      ASSERT_TRUE(out.has_power);
      ASSERT_EQ(out.shares.size(), f.instances.size());
      const double measured = *f.power_w;
      EXPECT_LE(out.static_w, measured);
      EXPECT_GE(out.static_w, 0.0);
      double sum = out.unattributed_w;
      double static_sum = out.unattributed_w;
      for (const InstanceShare& s : out.shares) {
        EXPECT_GE(s.static_w, 0.0);
        EXPECT_GE(s.dynamic_w, 0.0);
        EXPECT_EQ(s.power_w, s.static_w + s.dynamic_w);
        sum += s.power_w;
        static_sum += s.static_w;
      }
      EXPECT_NEAR(sum, measured, 1e-9 * std::max(1.0, measured))
          << attributor.method_name() << "/" << to_string(attributor.options().idle_policy);
      EXPECT_NEAR(static_sum, out.static_w, 1e-9 * std::max(1.0, measured));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 3000 * 9);
}

}  // namespace
}  // namespace migpower
