#include "model/workload_models.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/catalog.hpp"

namespace migpower {
namespace {

constexpr const char* kA100 = "NVIDIA A100-SXM4-40GB";
constexpr double kIdleW = 55.0;  // what the caller passes as the card's static floor

InstanceSample instance(int id, const char* profile, int slices, int memory_slices) {
  InstanceSample s;
  s.gpu_i_id = id;
  s.profile = profile;
  s.compute_slices = slices;
  s.memory_slices = memory_slices;
  s.workload = "job";
  for (std::size_t k = 0; k < kActivityCount; ++k) s.activity[k] = 0.0;
  return s;
}

// A 3g.20gb (id 1) and a 4g.20gb (id 2) on an A100 at a given clock, both idle.
Frame two_instances(double sm_clock_mhz) {
  Frame f;
  f.gpu_uuid = "GPU-workload";
  f.gpu_model = kA100;
  f.sm_clock_mhz = sm_clock_mhz;
  f.temperature_c = 50.0;
  f.instances = {instance(1, "3g.20gb", 3, 4), instance(2, "4g.20gb", 4, 4)};
  return f;
}

// Random busy activity, nested as DCGM nests it (sm <= gr, pipes <= sm).
void randomize(InstanceSample& s, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double gr = 0.3 + 0.7 * u(rng);
  const double sm = gr * u(rng);
  s.set(Activity::gr_engine, gr);
  s.set(Activity::sm, sm);
  s.set(Activity::sm_occupancy, sm * u(rng));
  s.set(Activity::tensor, sm * u(rng));
  s.set(Activity::dram, u(rng));
  s.set(Activity::fp64, sm * u(rng));
  s.set(Activity::fp32, sm * u(rng));
  s.set(Activity::fp16, sm * u(rng));
}

// A known function of the features: what the instance "draws" above the idle floor.
double known_dynamic_w(const Frame& frame, const InstanceSample& s, int salt) {
  FeatureExtractor extractor;
  FeatureVector x{};
  FeatureExtractor::instance_features(extractor.card(frame), s, x);
  double w = 0.0;
  for (std::size_t k = 0; k < kFeatureCount; ++k) {
    w += (20.0 + 13.0 * static_cast<double>((k * 7 + static_cast<std::size_t>(salt)) % 11)) * x[k];
  }
  return w;
}

std::vector<double> run(WorkloadModels& models, const Frame& frame) {
  std::vector<double> out(frame.instances.size(), -1.0);
  models.estimate_and_learn(frame, kIdleW, out);
  return out;
}

double fallback_w(const Frame& frame, std::size_t i) {
  const GpuModel* card = find_gpu_model(kA100);
  FeatureExtractor extractor;
  const double share = FeatureExtractor::compute_share(extractor.card(frame), frame.instances[i]);
  return *frame.instances[i].get(Activity::gr_engine) * share * (card->tdp_w - card->idle_w);
}

// Feeds `count` frames where instance `alone` runs by itself and the card draws exactly the
// idle floor plus its known function.
void teach_alone(WorkloadModels& models, std::size_t alone, int salt, int count,
                 std::mt19937& rng) {
  std::uniform_real_distribution<double> clock(900.0, 1410.0);
  for (int t = 0; t < count; ++t) {
    Frame f = two_instances(std::round(clock(rng) / 15.0) * 15.0);
    randomize(f.instances[alone], rng);
    f.power_w = kIdleW + known_dynamic_w(f, f.instances[alone], salt);
    run(models, f);
  }
}

TEST(WorkloadModels, LearnsAnIsolatedInstancesFunctionExactly) {
  WorkloadModelSettings settings;
  settings.relative_ridge = 1e-12;  // plain least squares: the data determine the function
  WorkloadModels models(settings);
  std::mt19937 rng(7);
  teach_alone(models, 0, 1, 200, rng);
  teach_alone(models, 1, 5, 200, rng);
  ASSERT_NE(models.find("GPU-workload", 1, "job"), nullptr);
  EXPECT_EQ(models.find("GPU-workload", 1, "job")->frames(), 200u);
  EXPECT_EQ(models.modelled_instances(), 2u);

  // Now both run at once, on activity and clocks never seen: each estimate is its own function.
  for (int t = 0; t < 20; ++t) {
    Frame f = two_instances(1005.0 + 15.0 * t);
    randomize(f.instances[0], rng);
    randomize(f.instances[1], rng);
    f.power_w = 999.0;  // the measured total must not leak into the estimates
    const auto out = run(models, f);
    EXPECT_NEAR(out[0], known_dynamic_w(f, f.instances[0], 1), 1e-6 * out[0]);
    EXPECT_NEAR(out[1], known_dynamic_w(f, f.instances[1], 5), 1e-6 * out[1]);
  }
  EXPECT_EQ(models.find("GPU-workload", 1, "job")->frames(), 200u);  // concurrency teaches none
}

TEST(WorkloadModels, DefaultRidgeStaysCloseToTheFunction) {
  WorkloadModels models;
  std::mt19937 rng(11);
  teach_alone(models, 0, 3, 300, rng);
  Frame f = two_instances(1410.0);
  randomize(f.instances[0], rng);
  f.power_w = 300.0;
  const double truth = known_dynamic_w(f, f.instances[0], 3);
  EXPECT_NEAR(run(models, f)[0], truth, 0.01 * truth);
}

TEST(WorkloadModels, FallsBackToUtilizationUntilEnoughIsolatedFrames) {
  WorkloadModels models;
  const std::size_t needed = models.settings().min_isolated_frames;
  std::mt19937 rng(3);
  teach_alone(models, 0, 2, static_cast<int>(needed) - 1, rng);

  Frame f = two_instances(1410.0);
  randomize(f.instances[0], rng);
  randomize(f.instances[1], rng);
  f.power_w = 250.0;
  auto out = run(models, f);
  // Neither has a model yet: GR_ENGINE_ACTIVE x SM share x (TDP - idle) of the catalog.
  EXPECT_DOUBLE_EQ(out[0], fallback_w(f, 0));
  EXPECT_DOUBLE_EQ(out[1], fallback_w(f, 1));

  teach_alone(models, 0, 2, 1, rng);  // the last frame the model needs
  out = run(models, f);
  EXPECT_NEAR(out[0], known_dynamic_w(f, f.instances[0], 2), 0.05 * out[0]);
  EXPECT_DOUBLE_EQ(out[1], fallback_w(f, 1));  // the other still has none
}

TEST(WorkloadModels, EstimatesComeBeforeTheFrameTeaches) {
  WorkloadModels models;
  std::mt19937 rng(5);
  Frame f = two_instances(1410.0);
  randomize(f.instances[0], rng);
  f.power_w = kIdleW + 80.0;
  const auto out = run(models, f);  // its first frame alone: still the fallback
  EXPECT_DOUBLE_EQ(out[0], fallback_w(f, 0));
  EXPECT_EQ(out[1], 0.0);  // idle: GR 0
  EXPECT_EQ(models.find("GPU-workload", 1, "job")->frames(), 1u);
}

TEST(WorkloadModels, OnlyFramesWithOneKnownActiveInstanceTeach) {
  WorkloadModels models;
  std::mt19937 rng(9);
  Frame both = two_instances(1410.0);
  randomize(both.instances[0], rng);
  randomize(both.instances[1], rng);
  both.power_w = 300.0;
  run(models, both);

  Frame unknown_neighbour = two_instances(1410.0);
  randomize(unknown_neighbour.instances[0], rng);
  unknown_neighbour.instances[1].activity[static_cast<std::size_t>(Activity::gr_engine)].reset();
  unknown_neighbour.power_w = 200.0;
  run(models, unknown_neighbour);

  Frame idle = two_instances(1410.0);
  idle.power_w = kIdleW;
  const auto out = run(models, idle);
  EXPECT_EQ(out[0], 0.0);
  EXPECT_EQ(out[1], 0.0);

  Frame no_power = two_instances(1410.0);
  randomize(no_power.instances[0], rng);
  run(models, no_power);

  EXPECT_EQ(models.find("GPU-workload", 1, "job")->frames(), 0u);
  EXPECT_EQ(models.find("GPU-workload", 2, "job")->frames(), 0u);
}

TEST(WorkloadModels, ANewWorkloadLabelStartsANewModel) {
  WorkloadModels models;
  std::mt19937 rng(13);
  teach_alone(models, 0, 4, 100, rng);
  ASSERT_EQ(models.modelled_instances(), 1u);

  Frame f = two_instances(1410.0);
  f.instances[0].workload = "another-job";
  randomize(f.instances[0], rng);
  f.power_w = 200.0;
  EXPECT_DOUBLE_EQ(run(models, f)[0], fallback_w(f, 0));
  EXPECT_EQ(models.find("GPU-workload", 1, "another-job")->frames(), 1u);
  EXPECT_EQ(models.find("GPU-workload", 1, "job")->frames(), 100u);
}

TEST(WorkloadModels, UncataloguedCardsFallBackOnTheHighestPowerSeen) {
  WorkloadModels models;
  Frame f = two_instances(1410.0);
  f.gpu_model = "Some Future GPU";
  f.instances[0].set(Activity::gr_engine, 0.5);
  f.instances[1].set(Activity::gr_engine, 0.5);
  f.power_w = 155.0;
  const auto out = run(models, f);  // range: 155 W seen − 55 W floor; shares by slices of 7
  EXPECT_NEAR(out[0], 0.5 * (3.0 / 7.0) * 100.0, 1e-9);
  EXPECT_NEAR(out[1], 0.5 * (4.0 / 7.0) * 100.0, 1e-9);
}

}  // namespace
}  // namespace migpower
