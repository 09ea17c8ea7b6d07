#include "attribution/paper_online_estimator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>

#include "attribution/attributor.hpp"
#include "attribution/method_factory.hpp"
#include "model/features.hpp"

namespace migpower {
namespace {

constexpr double kIdleW = 55.0;  // the A100-40GB's catalog idle floor

// A 3g.20gb (id 1) and a 4g.20gb (id 2) on an A100, both idle.
Frame card(double sm_clock_mhz) {
  Frame f;
  f.gpu_uuid = "GPU-paper";
  f.gpu_model = "NVIDIA A100-SXM4-40GB";
  f.sm_clock_mhz = sm_clock_mhz;
  for (int id : {1, 2}) {
    InstanceSample s;
    s.gpu_i_id = id;
    s.profile = id == 1 ? "3g.20gb" : "4g.20gb";
    s.compute_slices = id == 1 ? 3 : 4;
    s.memory_slices = 4;
    for (std::size_t k = 0; k < kActivityCount; ++k) s.activity[k] = 0.0;
    f.instances.push_back(s);
  }
  return f;
}

void busy(InstanceSample& s, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double sm = 0.2 + 0.8 * u(rng);
  s.set(Activity::gr_engine, 1.0);
  s.set(Activity::sm, sm);
  s.set(Activity::sm_occupancy, sm * u(rng));
  s.set(Activity::tensor, sm * u(rng));
  s.set(Activity::dram, u(rng));
  s.set(Activity::fp32, sm * u(rng));
  s.set(Activity::fp16, sm * u(rng));
  s.set(Activity::fp64, sm * u(rng));
}

// The instance's "true" dynamic power: a fixed linear function of its features.
double dynamic_w(const Frame& f, const InstanceSample& s, double scale) {
  FeatureExtractor extractor;
  FeatureVector x{};
  FeatureExtractor::instance_features(extractor.card(f), s, x);
  double w = 0.0;
  for (std::size_t k = 0; k < kFeatureCount; ++k) w += scale * (30.0 + 5.0 * k) * x[k];
  return w;
}

TEST(PaperOnlineEstimator, SplitsConcurrentFramesByWhatEachInstanceShowedAlone) {
  WorkloadModelSettings settings;
  settings.relative_ridge = 1e-12;
  Attributor attributor({SplitMethod::utilization, IdlePolicy::slices, Activity::gr_engine},
                        std::make_unique<PaperOnlineEstimator>(settings));
  std::mt19937 rng(21);
  FrameAttribution out;
  std::uniform_real_distribution<double> clock(900.0, 1410.0);
  for (int t = 0; t < 300; ++t) {  // each instance alone in turn
    Frame f = card(std::round(clock(rng) / 15.0) * 15.0);
    const std::size_t alone = t % 2;
    busy(f.instances[alone], rng);
    f.power_w = kIdleW + dynamic_w(f, f.instances[alone], alone == 0 ? 1.0 : 0.6);
    attributor.attribute(f, out);
  }

  for (const double excess : {1.0, 1.1}) {  // the card draws exactly the sum, or 10 % more
    Frame f = card(1200.0);
    busy(f.instances[0], rng);
    busy(f.instances[1], rng);
    const double a = dynamic_w(f, f.instances[0], 1.0);
    const double b = dynamic_w(f, f.instances[1], 0.6);
    f.power_w = kIdleW + excess * (a + b);
    attributor.attribute(f, out);
    ASSERT_EQ(out.shares.size(), 2u);
    EXPECT_NEAR(out.shares[0].dynamic_w, excess * a, 1e-6 * a);
    EXPECT_NEAR(out.shares[1].dynamic_w, excess * b, 1e-6 * b);
    // Before scaling: static share + the model's own watts, whatever the card measured.
    EXPECT_NEAR(out.shares[0].estimate_w, kIdleW * 3.0 / 7.0 + a, 1e-6 * a);
    EXPECT_NEAR(out.shares[1].estimate_w, kIdleW * 4.0 / 7.0 + b, 1e-6 * b);
    EXPECT_NEAR(out.shares[0].power_w + out.shares[1].power_w, *f.power_w, 1e-9);
  }
}

TEST(PaperOnlineEstimator, IsSelectableByNameAndGivesWatts) {
  const MethodInfo* info = find_method("paper-online");
  ASSERT_NE(info, nullptr);
  EXPECT_FALSE(info->needs_model_file);
  MethodChoice choice;
  choice.method = "paper-online";
  Attributor attributor = make_attributor(choice);
  EXPECT_EQ(attributor.method_name(), "paper-online");

  // No instance has been alone yet: the fallback, in watts, reconciled to the measured power.
  std::mt19937 rng(4);
  Frame f = card(1410.0);
  busy(f.instances[0], rng);
  busy(f.instances[1], rng);
  f.power_w = 250.0;
  FrameAttribution out;
  attributor.attribute(f, out);
  ASSERT_EQ(out.shares.size(), 2u);
  EXPECT_TRUE(std::isfinite(out.shares[0].estimate_w));
  EXPECT_TRUE(std::isfinite(out.shares[1].estimate_w));
  // Both GR 1: the fallback splits dynamic power by SMs held (42 and 56 of the A100's 108).
  EXPECT_NEAR(out.shares[0].dynamic_w / out.shares[1].dynamic_w, 42.0 / 56.0, 1e-9);
  EXPECT_NEAR(out.shares[0].power_w + out.shares[1].power_w, 250.0, 1e-9);
}

}  // namespace
}  // namespace migpower
