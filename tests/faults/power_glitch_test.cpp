// Card power readings that are odd but legal: below the idle floor, 0 W, a glitch above 2 x TDP.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/run_command.hpp"
#include "core/catalog.hpp"
#include "faults/fault_traces.hpp"

namespace migpower::faults {
namespace {

// The A100 40GB idles at 55 W and is limited to 400 W.
const std::vector<Reading> kReadings = {
    {100, 200, 0},        // opens
    {101, 40, 40'000},    // below the idle floor: counter 40 J
    {102, 0, 45'000},     // 0 W, yet the counter moved 5 J: nobody to give it to
    {103, 900, 245'000},  // glitch above 2 x TDP; the counter says 200 J and is believed
    {104, 900, {}},       // the same glitch without a counter: 900 W x 1 s
    {105, 55, {}},        // exactly the floor
    {106, 0, {}},         // 0 W x 1 s
};

std::string glitch_trace() {
  std::string trace = kHeader;
  for (const Reading& r : kReadings) trace += instant(r.t, "GPU-a", r.power_w, r.energy_mj);
  return trace;
}

TEST(PowerGlitch, TheCatalogFiguresThisTestAssumes) {
  const GpuModel* model = find_gpu_model(kA100);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->idle_w, 55.0);
  EXPECT_EQ(model->tdp_w, 400.0);
}

TEST(PowerGlitch, SharesStayNonNegativeAndEnergyIsConserved) {
  TempDir dir;
  for (const IdlePolicy policy : {IdlePolicy::slices, IdlePolicy::active, IdlePolicy::none}) {
    const PipelineRun run = run_trace(dir.write("glitch.csv", glitch_trace()), false, 2,
                                      {SplitMethod::utilization, policy, Activity::gr_engine});
    ASSERT_FALSE(run.error.has_value()) << *run.error;  // every frame's split is checked too
    const CardEnergy& card = run.ledger.cards().at(0);
    EXPECT_EQ(card.counter_intervals, 3u);
    EXPECT_EQ(card.power_intervals, 3u);
    EXPECT_TRUE(near(card.energy_j, 40 + 5 + 200 + 900 + 55 + 0)) << card.energy_j;
    EXPECT_TRUE(near(card.energy_j, integrate(kReadings).energy_j));
    expect_conserved(run.ledger);
    if (policy != IdlePolicy::none) {
      EXPECT_TRUE(near(card.unattributed_j, 5.0)) << card.unattributed_j;  // the 0 W interval
    }
  }
}

TEST(PowerGlitch, BelowTheFloorEverythingIsStaticAndSplitBySlices) {
  Attributor attributor(AttributionOptions{});
  FrameAttribution a;
  for (const double power : {40.0, 0.0, 55.0}) {
    const Frame f = make_frame(100, "GPU-a", power);
    attributor.attribute(f, a);
    expect_valid_split(f, a);
    EXPECT_EQ(a.static_w, power);
    const double slices[] = {3, 2, 1, 1};
    for (std::size_t i = 0; i < a.shares.size(); ++i) {
      EXPECT_EQ(a.shares[i].dynamic_w, 0.0);
      EXPECT_TRUE(near(a.shares[i].static_w, power * slices[i] / 7.0));
    }
  }
  const Frame glitch = make_frame(101, "GPU-a", 900.0);
  attributor.attribute(glitch, a);
  expect_valid_split(glitch, a);
  EXPECT_EQ(a.static_w, 55.0);  // the glitch is all dynamic
}

TEST(PowerGlitch, CommandLine) {
  TempDir dir;
  const std::string path = dir.write("glitch.csv", glitch_trace());
  const auto result = test::run_migpower("attribute " + path + " --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto card = nlohmann::json::parse(result.out)["cards"].at(0);
  EXPECT_TRUE(near(card["energy_j"].get<double>(), 1200.0));
  EXPECT_TRUE(near(card["unattributed_j"].get<double>(), 5.0));
  double parts = card["unattributed_j"].get<double>();
  for (const auto& instance : card["instances"]) {
    EXPECT_GE(instance["energy_j"].get<double>(), 0.0);
    parts += instance["energy_j"].get<double>();
  }
  EXPECT_TRUE(near(parts, 1200.0));
}

}  // namespace
}  // namespace migpower::faults
