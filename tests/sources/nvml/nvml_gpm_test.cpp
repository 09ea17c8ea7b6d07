// GPM (Hopper and later): per-instance activity from pairs of samples, percent -> fraction.

#include <gtest/gtest.h>

#include <vector>

#include "sources/nvml/fake_nvml.hpp"
#include "sources/nvml/nvml_source.hpp"
#include "sources/take_frames.hpp"

namespace migpower {
namespace {

using test::FakeNvml;
using test::scenario;
using test::take;

// An H100 split 3g.40gb (GPU instance 1) + 4g.40gb (GPU instance 2), with GPM metrics in percent.
nlohmann::json h100_mig_card() {
  nlohmann::json card =
      test::full_card("GPU-h100h100-0000-0000-0000-000000000001", "NVIDIA H100 80GB HBM3");
  card.erase("utilization_gpu");
  card["gpm"] = true;
  nlohmann::json busy = {
      {"slot", 0}, {"gi", 1}, {"profile", "3g.40gb"}, {"gi_slices", 3}, {"fb_used_mib", 30000}};
  busy["gpm_metrics"] = {{"GRAPHICS_UTIL", {90, 80}},
                         {"SM_UTIL", {75, 70}},
                         {"SM_OCCUPANCY", 40},
                         {"ANY_TENSOR_UTIL", 55.5},
                         {"DRAM_BW_UTIL", 104},  // GPM overshoots on MIG; capped at 1
                         {"FP64_UTIL", 0},
                         {"FP32_UTIL", 12.5}};  // no FP16 metric: left missing, not 0
  nlohmann::json idle = {
      {"slot", 1}, {"gi", 2}, {"profile", "4g.40gb"}, {"gi_slices", 4}, {"fb_used_mib", 100}};
  idle["gpm_metrics"] = nlohmann::json::object();
  for (const char* metric : {"GRAPHICS_UTIL", "SM_UTIL", "SM_OCCUPANCY", "ANY_TENSOR_UTIL",
                             "DRAM_BW_UTIL", "FP64_UTIL", "FP32_UTIL", "FP16_UTIL"}) {
    idle["gpm_metrics"][metric] = 0;
  }
  nlohmann::json layout = nlohmann::json::object();
  layout["instances"] = nlohmann::json::array({busy, idle});
  card["mig_layouts"] = nlohmann::json::array({layout});
  return card;
}

TEST(NvmlGpm, MigInstancesGetActivityAsFractionsFromTheSecondFrameOn) {
  FakeNvml fake(scenario({h100_mig_card()}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSource source(fake.options(clock));
  const auto frames = take(source, 3);
  ASSERT_EQ(frames.size(), 3u);
  // The first frame has one sample only: no activity yet (missing, never 0).
  for (const auto& instance : frames[0].instances) {
    for (const auto& value : instance.activity) EXPECT_FALSE(value);
  }
  const InstanceSample& busy = frames[1].instances[0];
  EXPECT_EQ(busy.gpu_i_id, 1);
  EXPECT_EQ(busy.profile, "3g.40gb");
  EXPECT_EQ(busy.compute_slices, 3);
  EXPECT_DOUBLE_EQ(*busy.get(Activity::gr_engine), 0.80);  // the second sample's tick
  EXPECT_DOUBLE_EQ(*busy.get(Activity::sm), 0.70);
  EXPECT_DOUBLE_EQ(*busy.get(Activity::sm_occupancy), 0.40);
  EXPECT_DOUBLE_EQ(*busy.get(Activity::tensor), 0.555);
  EXPECT_DOUBLE_EQ(*busy.get(Activity::dram), 1.0);
  EXPECT_DOUBLE_EQ(*busy.get(Activity::fp64), 0.0);
  EXPECT_DOUBLE_EQ(*busy.get(Activity::fp32), 0.125);
  EXPECT_FALSE(busy.get(Activity::fp16));
  EXPECT_DOUBLE_EQ(*frames[2].instances[0].get(Activity::gr_engine), 0.90);
  const InstanceSample& idle = frames[1].instances[1];
  EXPECT_EQ(idle.gpu_i_id, 2);
  for (const auto& value : idle.activity) EXPECT_EQ(value, 0.0);
  // One MIG sample per instance per frame; samples reused, two per instance.
  EXPECT_EQ(fake.calls("nvmlGpmMigSampleGet"), 6u);
  EXPECT_EQ(fake.calls("nvmlGpmMetricsGet"), 4u);
  EXPECT_EQ(fake.calls("nvmlGpmSampleAlloc"), 4u);
  EXPECT_EQ(fake.calls("nvmlGpmQueryDeviceSupport"), 1u);
}

TEST(NvmlGpm, WholeCardUsesCardSamplesAndSkipsUtilization) {
  nlohmann::json card =
      test::full_card("GPU-h100h100-0000-0000-0000-000000000002", "NVIDIA H100 80GB HBM3");
  card["gpm"] = true;
  card["gpm_metrics"] = {{"GRAPHICS_UTIL", 64}, {"SM_UTIL", 32}};
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSource source(fake.options(clock));
  const auto frames = take(source, 2);
  ASSERT_EQ(frames.size(), 2u);
  // First frame: no GPM pair yet, so the older utilization duty cycle fills gr_engine.
  EXPECT_DOUBLE_EQ(*frames[0].instances[0].get(Activity::gr_engine), 0.37);
  EXPECT_DOUBLE_EQ(*frames[1].instances[0].get(Activity::gr_engine), 0.64);
  EXPECT_DOUBLE_EQ(*frames[1].instances[0].get(Activity::sm), 0.32);
  EXPECT_FALSE(frames[1].instances[0].get(Activity::dram));
  EXPECT_EQ(fake.calls("nvmlGpmSampleGet"), 2u);
  EXPECT_EQ(fake.calls("nvmlGpmMigSampleGet"), 0u);
  EXPECT_EQ(fake.calls("nvmlDeviceGetUtilizationRates"), 1u);
}

TEST(NvmlGpm, ReportNamesTheGpmMetricOfEachField) {
  FakeNvml fake(scenario({h100_mig_card()}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  const SourceReport report = source.report();
  ASSERT_EQ(report.cards.size(), 1u);
  int provided = 0;
  for (const FieldProvision& field : report.cards[0].fields) {
    if (field.field == "DCGM_FI_PROF_SM_ACTIVE") {
      EXPECT_TRUE(field.provided);
      EXPECT_EQ(field.detail, "GPM NVML_GPM_METRIC_SM_UTIL per GPU instance");
    }
    if (field.field == "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE") {
      EXPECT_EQ(field.detail, "GPM NVML_GPM_METRIC_ANY_TENSOR_UTIL per GPU instance");
    }
    if (field.field.starts_with("DCGM_FI_PROF_")) provided += field.provided ? 1 : 0;
  }
  // A metric counts when any instance has it: 4g.40gb has FP16, 3g.40gb does not.
  EXPECT_EQ(provided, 8);
}

TEST(NvmlGpm, UnsupportedGpmIsAskedOnceAndActivityStaysMissing) {
  nlohmann::json card = h100_mig_card();
  card["gpm"] = false;  // e.g. an A100: the driver answers isSupportedDevice = 0
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  const auto frames = take(source, 4);
  ASSERT_EQ(frames.size(), 4u);
  for (const auto& instance : frames[3].instances) {
    for (const auto& value : instance.activity) EXPECT_FALSE(value);
  }
  EXPECT_EQ(fake.calls("nvmlGpmQueryDeviceSupport"), 1u);
  EXPECT_EQ(fake.calls("nvmlGpmSampleAlloc"), 0u);
}

TEST(NvmlGpm, MetricsErrorLeavesActivityMissingAndIsRetried) {
  FakeNvml fake(
      scenario({h100_mig_card()},
               {{{"call", "nvmlGpmMetricsGet"}, {"code", 10}, {"times", 2}}}));  // two timeouts
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSource source(fake.options(clock));
  const auto frames = take(source, 3);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_FALSE(frames[1].instances[0].get(Activity::sm));  // first instance: timed out
  EXPECT_FALSE(frames[1].instances[1].get(Activity::sm));  // second: timed out
  EXPECT_DOUBLE_EQ(*frames[2].instances[0].get(Activity::sm), 0.75);
}

TEST(NvmlGpm, SamplesAreFreedWhenTheSourceCloses) {
  FakeNvml fake(scenario({h100_mig_card()}));
  ManualClock clock;
  {
    NvmlSource source(fake.options(clock));
    take(source, 3);
    EXPECT_EQ(fake.live_samples(), 4);
  }
  EXPECT_EQ(fake.live_samples(), 0);
}

}  // namespace
}  // namespace migpower
