#include "attribution/process_split.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "attribution/attributor.hpp"
#include "attribution/test_frames.hpp"

namespace migpower {
namespace {

using testing::instance;

constexpr double kTol = 1e-9;

ProcessSample process(unsigned pid, std::optional<int> gi, std::optional<double> sm_util = {},
                      std::string name = "") {
  ProcessSample p;
  p.gpu_uuid = "GPU-a";
  p.gpu_i_id = gi;
  p.pid = pid;
  p.name = name.empty() ? "p" + std::to_string(pid) : std::move(name);
  p.sm_util_pct = sm_util;
  return p;
}

InstanceShare share(int id, double static_w, double dynamic_w) {
  InstanceShare s;
  s.gpu_i_id = id;
  s.static_w = static_w;
  s.dynamic_w = dynamic_w;
  s.power_w = static_w + dynamic_w;
  return s;
}

// A MIG card: 3g.20gb (id 1, 20 W static + 60 W dynamic) and 1g.5gb (id 2, 10 + 30 W).
struct MigCard {
  Frame frame = testing::frame("GPU-a", "NVIDIA A100-SXM4-40GB", 120.0);
  FrameAttribution attribution;
  MigCard() {
    frame.instances = {instance(1, "3g.20gb", 3), instance(2, "1g.5gb", 1)};
    attribution.has_power = true;
    attribution.measured_w = 120.0;
    attribution.static_w = 30.0;
    attribution.shares = {share(1, 20.0, 60.0), share(2, 10.0, 30.0)};
  }
};

// A full GPU (one instance, id 0): 50 W static + 150 W dynamic.
struct FullCard {
  Frame frame = testing::frame("GPU-a", "NVIDIA A100-SXM4-40GB", 200.0);
  FrameAttribution attribution;
  FullCard() {
    frame.instances = {instance(0, "", 0)};
    attribution.has_power = true;
    attribution.measured_w = 200.0;
    attribution.static_w = 50.0;
    attribution.shares = {share(0, 50.0, 150.0)};
  }
};

TEST(ProcessSplit, MigProcessesWithoutUtilizationSplitTheirInstanceEqually) {
  MigCard card;
  const std::vector<ProcessSample> rows = {process(11, 1), process(12, 1)};
  ProcessSplitter splitter;
  FrameProcessSplit out;
  splitter.split(card.frame, card.attribution, rows, out);
  ASSERT_TRUE(out.has_power);
  ASSERT_EQ(out.processes.size(), 2u);
  for (const ProcessShare& part : out.processes) {
    EXPECT_EQ(part.gpu_uuid, "GPU-a");
    EXPECT_EQ(part.gpu_i_id, 1);
    EXPECT_EQ(part.instance, 0u);
    EXPECT_NEAR(part.static_w, 10.0, kTol);
    EXPECT_NEAR(part.dynamic_w, 30.0, kTol);
  }
  EXPECT_EQ(out.processes[0].pid, 11u);
  EXPECT_EQ(out.processes[0].name, "p11");
  EXPECT_EQ(out.processes[1].pid, 12u);
  ASSERT_EQ(out.instances.size(), 2u);
  EXPECT_EQ(out.instances[0].gpu_i_id, 1);
  EXPECT_EQ(out.instances[0].processes, 2u);
  EXPECT_EQ(out.instances[0].unassigned_w, 0.0);
  EXPECT_DOUBLE_EQ(out.instances[0].power_w, 80.0);
  // The 1g instance runs nothing: its 40 W stay with it, as "no process".
  EXPECT_EQ(out.instances[1].gpu_i_id, 2);
  EXPECT_EQ(out.instances[1].processes, 0u);
  EXPECT_DOUBLE_EQ(out.instances[1].unassigned_w, 40.0);
  EXPECT_EQ(out.ignored, 0u);
}

TEST(ProcessSplit, FullGpuDynamicPowerFollowsSmUtilization) {
  FullCard card;
  // MIG off: no GPU instance in the rows; a process without a sample counts 0.
  const std::vector<ProcessSample> rows = {process(1, std::nullopt, 30.0),
                                           process(2, std::nullopt, 10.0),
                                           process(3, std::nullopt, std::nullopt)};
  ProcessSplitter splitter;
  FrameProcessSplit out;
  splitter.split(card.frame, card.attribution, rows, out);
  ASSERT_EQ(out.processes.size(), 3u);
  // Static equally (50 / 3 each), dynamic 150 W by 30 : 10 : 0.
  for (const ProcessShare& part : out.processes) {
    EXPECT_NEAR(part.static_w, 50.0 / 3.0, kTol);
    EXPECT_EQ(part.gpu_i_id, 0);
  }
  EXPECT_NEAR(out.processes[0].dynamic_w, 112.5, kTol);
  EXPECT_NEAR(out.processes[1].dynamic_w, 37.5, kTol);
  EXPECT_EQ(out.processes[2].dynamic_w, 0.0);
  EXPECT_NEAR(out.processes[0].power_w(), 129.166666666666667, kTol);
  EXPECT_EQ(out.instances[0].unassigned_w, 0.0);
}

TEST(ProcessSplit, UtilizationSummingToZeroSplitsEqually) {
  FullCard card;
  ProcessSplitter splitter;
  FrameProcessSplit out;
  // All values 0.
  std::vector<ProcessSample> rows = {process(1, std::nullopt, 0.0), process(2, std::nullopt, 0.0)};
  splitter.split(card.frame, card.attribution, rows, out);
  ASSERT_EQ(out.processes.size(), 2u);
  EXPECT_NEAR(out.processes[0].dynamic_w, 75.0, kTol);
  EXPECT_NEAR(out.processes[1].dynamic_w, 75.0, kTol);
  // Zero and missing: nothing to weigh by either.
  rows = {process(1, std::nullopt, 0.0), process(2, std::nullopt, std::nullopt)};
  splitter.split(card.frame, card.attribution, rows, out);
  ASSERT_EQ(out.processes.size(), 2u);
  EXPECT_NEAR(out.processes[0].dynamic_w, 75.0, kTol);
  EXPECT_NEAR(out.processes[1].dynamic_w, 75.0, kTol);
  EXPECT_NEAR(out.processes[0].static_w, 25.0, kTol);
}

TEST(ProcessSplit, ProcessesThatFitNoInstanceAreIgnoredAndCounted) {
  MigCard card;
  // No GPU instance on a card with two; an instance the frame does not have.
  const std::vector<ProcessSample> rows = {process(1, std::nullopt), process(2, 7),
                                           process(3, 2, 50.0)};
  ProcessSplitter splitter;
  FrameProcessSplit out;
  splitter.split(card.frame, card.attribution, rows, out);
  EXPECT_EQ(out.ignored, 2u);
  ASSERT_EQ(out.processes.size(), 1u);
  EXPECT_EQ(out.processes[0].pid, 3u);
  EXPECT_EQ(out.processes[0].instance, 1u);
  EXPECT_NEAR(out.processes[0].power_w(), 40.0, kTol);
  EXPECT_DOUBLE_EQ(out.instances[0].unassigned_w, 80.0);
  EXPECT_EQ(out.instances[1].unassigned_w, 0.0);
}

TEST(ProcessSplit, ProcessesOfOneInstanceComeGroupedInFrameOrder) {
  MigCard card;
  const std::vector<ProcessSample> rows = {process(5, 2), process(6, 1), process(7, 2)};
  ProcessSplitter splitter;
  FrameProcessSplit out;
  splitter.split(card.frame, card.attribution, rows, out);
  ASSERT_EQ(out.processes.size(), 3u);
  EXPECT_EQ(out.processes[0].pid, 6u);
  EXPECT_EQ(out.processes[1].pid, 5u);
  EXPECT_EQ(out.processes[2].pid, 7u);
  EXPECT_NEAR(out.processes[1].power_w(), 20.0, kTol);
}

TEST(ProcessSplit, AFrameWithoutPowerHasNoParts) {
  MigCard card;
  card.attribution = FrameAttribution{};
  const std::vector<ProcessSample> rows = {process(1, 1), process(2, std::nullopt)};
  ProcessSplitter splitter;
  FrameProcessSplit out;
  splitter.split(card.frame, card.attribution, rows, out);
  EXPECT_FALSE(out.has_power);
  EXPECT_TRUE(out.processes.empty());
  EXPECT_TRUE(out.instances.empty());
  EXPECT_EQ(out.ignored, 1u);
}

TEST(ProcessSplit, MismatchedAttributionIsRejected) {
  MigCard card;
  card.attribution.shares.pop_back();
  ProcessSplitter splitter;
  FrameProcessSplit out;
  EXPECT_THROW(splitter.split(card.frame, card.attribution, {}, out), std::invalid_argument);
}

// Random frames through the real attributor (idle policy none, so part of the power stays with
// the card): per instance the processes' parts plus its unassigned watts equal its share, and
// everything together equals the measured power.
TEST(ProcessSplit, ConservesEachInstancesShare) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Attributor attributor({SplitMethod::utilization, IdlePolicy::none, Activity::gr_engine});
  ProcessSplitter splitter;
  FrameAttribution attribution;
  FrameProcessSplit out;
  for (int k = 0; k < 500; ++k) {
    Frame frame = testing::a100_mixed(60.0 + 300.0 * unit(rng));
    for (InstanceSample& sample : frame.instances) sample.set(Activity::gr_engine, unit(rng));
    std::vector<ProcessSample> rows;
    for (const int gi : {1, 2, 4}) {  // instance 3 runs nothing
      const int n = static_cast<int>(unit(rng) * 4.0);
      for (int p = 0; p < n; ++p) {
        std::optional<double> util;
        if (unit(rng) < 0.7) util = unit(rng) < 0.2 ? 0.0 : 100.0 * unit(rng);
        rows.push_back(process(static_cast<unsigned>(100 * gi + p), gi, util));
      }
    }
    attributor.attribute(frame, attribution);
    splitter.split(frame, attribution, rows, out);
    std::vector<double> held(frame.instances.size(), 0.0);
    for (const ProcessShare& part : out.processes) {
      EXPECT_GE(part.static_w, 0.0);
      EXPECT_GE(part.dynamic_w, 0.0);
      held[part.instance] += part.power_w();
    }
    double total = attribution.unattributed_w;
    for (std::size_t i = 0; i < frame.instances.size(); ++i) {
      EXPECT_NEAR(held[i] + out.instances[i].unassigned_w, attribution.shares[i].power_w, kTol);
      EXPECT_EQ(out.instances[i].unassigned_w == 0.0,
                out.instances[i].processes > 0 || attribution.shares[i].power_w == 0.0);
      total += held[i] + out.instances[i].unassigned_w;
    }
    EXPECT_NEAR(total, attribution.measured_w, kTol * attribution.measured_w);
    EXPECT_GT(out.instances[2].unassigned_w, 0.0);  // instance 3 holds its static share
  }
}

}  // namespace
}  // namespace migpower
