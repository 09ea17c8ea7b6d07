#include "model/training_data.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "vector_source.hpp"

namespace migpower {
namespace {

using test::VectorSource;

constexpr const char* kA100 = "NVIDIA A100-SXM4-40GB";

InstanceSample instance(int id, const std::string& profile, int slices, double gr,
                        const std::string& workload = "") {
  InstanceSample s;
  s.gpu_i_id = id;
  s.profile = profile;
  s.compute_slices = slices;
  s.set(Activity::gr_engine, gr);
  s.set(Activity::sm, gr);
  s.workload = workload;
  return s;
}

Frame frame(double t, std::optional<double> power, std::vector<InstanceSample> instances,
            const std::string& model = kA100, const std::string& uuid = "GPU-1") {
  Frame f;
  f.timestamp_s = t;
  f.gpu_uuid = uuid;
  f.gpu_model = model;
  f.power_w = power;
  f.sm_clock_mhz = 1410.0;
  f.instances = std::move(instances);
  return f;
}

TEST(TrainingDataTest, KeepsFramesWhereOneInstanceIsActiveAndCountsTheRest) {
  const double idle_w = find_gpu_model(kA100)->idle_w;
  std::vector<Frame> frames = {
      // isolated: only instance 1 busy
      frame(0, 200.0, {instance(1, "3g.20gb", 3, 0.9, "gemm"), instance(2, "2g.10gb", 2, 0.01)}),
      // concurrent: both busy
      frame(1, 260.0, {instance(1, "3g.20gb", 3, 0.9), instance(2, "2g.10gb", 2, 0.7)}),
      // idle, two instances: nobody's power to learn
      frame(2, 60.0, {instance(1, "3g.20gb", 3, 0.0), instance(2, "2g.10gb", 2, 0.0)}),
      // no power reading
      frame(3, std::nullopt, {instance(1, "3g.20gb", 3, 0.9)}),
      // isolated: only instance 2 busy
      frame(4, 150.0, {instance(1, "3g.20gb", 3, 0.02), instance(2, "2g.10gb", 2, 0.8, "llm")}),
  };
  VectorSource source(frames);
  TrainingDataBuilder builder;
  builder.add(source, "trace.csv");
  const TrainingData data = builder.finish();
  ASSERT_EQ(data.x.rows(), 2);
  ASSERT_EQ(data.x.cols(), static_cast<Eigen::Index>(kFeatureCount));
  EXPECT_DOUBLE_EQ(data.y[0], 200.0 - idle_w);
  EXPECT_DOUBLE_EQ(data.y[1], 150.0 - idle_w);
  // The rows are the active instance's features: GR·share·r in column 0 (r = 1410/1410).
  const double share_3g = 42.0 / 108.0;
  const double share_2g = 28.0 / 108.0;
  EXPECT_NEAR(data.x(0, 0), 0.9 * share_3g, 1e-12);
  EXPECT_NEAR(data.x(1, 0), 0.8 * share_2g, 1e-12);
  EXPECT_EQ(data.summary.frames, 5u);
  EXPECT_EQ(data.summary.frames_concurrent, 1u);
  EXPECT_EQ(data.summary.frames_idle, 1u);
  EXPECT_EQ(data.summary.frames_without_power, 1u);
  EXPECT_EQ(data.summary.rows, 2u);
  EXPECT_EQ(data.summary.workloads, (std::vector<std::string>{"gemm", "llm"}));
  EXPECT_EQ(data.summary.gpu_model, kA100);
  EXPECT_EQ(data.summary.start_s, 0.0);
  EXPECT_EQ(data.summary.end_s, 4.0);
  EXPECT_NE(data.summary.static_power.find("catalog"), std::string::npos);
}

TEST(TrainingDataTest, AWholeCardIsOneInstanceAndItsIdleFramesAreRows) {
  std::vector<Frame> frames = {frame(0, 300.0, {instance(0, "", 0, 1.0)}),
                               frame(1, 58.0, {instance(0, "", 0, 0.0)})};
  VectorSource source(frames);
  TrainingDataBuilder builder;
  builder.add(source, "full.csv");
  const TrainingData data = builder.finish();
  ASSERT_EQ(data.x.rows(), 2);
  EXPECT_NEAR(data.x(0, 0), 1.0, 1e-12);  // a whole card: share 1
  EXPECT_EQ(data.x.row(1).norm(), 0.0);
  EXPECT_EQ(data.summary.frames_idle, 0u);
}

TEST(TrainingDataTest, UncataloguedGpusUseTheirLowestPowerAsStaticPower) {
  const std::string model = "Future GPU 9000";
  std::vector<Frame> frames = {
      frame(0, 180.0, {instance(0, "", 0, 0.8)}, model),
      frame(1, 95.0, {instance(0, "", 0, 0.6), instance(1, "", 0, 0.6)}, model),  // concurrent
      frame(2, 70.0, {instance(0, "", 0, 0.0)}, model),
  };
  VectorSource source(frames);
  TrainingDataBuilder builder;
  builder.add(source, "future.csv");
  const TrainingData data = builder.finish();
  ASSERT_EQ(data.y.size(), 2);
  EXPECT_DOUBLE_EQ(data.y[0], 110.0);  // the floor is the lowest of all frames, 70 W
  EXPECT_DOUBLE_EQ(data.y[1], 0.0);
  EXPECT_NE(data.summary.static_power.find("lowest"), std::string::npos);
}

TEST(TrainingDataTest, MixingGpuModelsIsAnInputError) {
  VectorSource a({frame(0, 100.0, {instance(0, "", 0, 0.5)})});
  VectorSource b({frame(0, 100.0, {instance(0, "", 0, 0.5)}, "NVIDIA H100 80GB HBM3", "GPU-2")});
  TrainingDataBuilder builder;
  builder.add(a, "a100.csv");
  try {
    builder.add(b, "h100.csv");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("h100.csv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("one model per GPU model"), std::string::npos);
  }
}

TrainingData timeline(const std::vector<std::size_t>& frames_per_source) {
  TrainingDataBuilder builder;
  for (std::size_t s = 0; s < frames_per_source.size(); ++s) {
    std::vector<Frame> frames;
    for (std::size_t i = 0; i < frames_per_source[s]; ++i) {
      frames.push_back(frame(1000.0 * static_cast<double>(s) + static_cast<double>(i), 150.0,
                             {instance(0, "", 0, 0.5)}));
    }
    VectorSource source(frames);
    builder.add(source, "trace" + std::to_string(s) + ".csv");
  }
  return builder.finish();
}

TEST(TrainingDataTest, ValidationIsHeldOutInTimeBlocksOfEveryTrace) {
  const TrainingData data = timeline({400, 100});
  const ValidationSplit split = split_by_time_blocks(data, 0.2);
  EXPECT_EQ(split.training.size() + split.validation.size(), 500u);
  EXPECT_NEAR(static_cast<double>(split.validation.size()) / 500.0, 0.2, 0.02);
  // Each trace gives about a fifth of its rows, in runs of consecutive frames (blocks), not
  // scattered single rows.
  std::vector<std::size_t> per_source(2, 0);
  std::size_t runs = 0;
  for (std::size_t k = 0; k < split.validation.size(); ++k) {
    ++per_source[data.source[static_cast<std::size_t>(split.validation[k])]];
    if (k == 0 || split.validation[k] != split.validation[k - 1] + 1) ++runs;
  }
  EXPECT_NEAR(static_cast<double>(per_source[0]), 80.0, 4.0);
  EXPECT_NEAR(static_cast<double>(per_source[1]), 20.0, 2.0);
  EXPECT_LE(runs, 8u);  // 4 blocks per trace, at most
  EXPECT_GE(runs, 4u);  // spread over the trace, not one lump at its end
  // Disjoint and complete.
  std::vector<Eigen::Index> all = split.training;
  all.insert(all.end(), split.validation.begin(), split.validation.end());
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], static_cast<Eigen::Index>(i));
}

TEST(TrainingDataTest, NoValidationFractionKeepsEveryRowForTraining) {
  const TrainingData data = timeline({50});
  const ValidationSplit split = split_by_time_blocks(data, 0.0);
  EXPECT_EQ(split.training.size(), 50u);
  EXPECT_TRUE(split.validation.empty());
  FeatureMatrix x;
  Eigen::VectorXd y;
  take_rows(data, split.training, x, y);
  EXPECT_EQ(x.rows(), 50);
  EXPECT_EQ(x, data.x);
  EXPECT_EQ(y, data.y);
}

}  // namespace
}  // namespace migpower
