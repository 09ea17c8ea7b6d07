// NVML error paths: each error code's handling, missing symbols, a lost GPU found again, and MIG
// layouts that change under a running source.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sources/nvml/fake_nvml.hpp"
#include "sources/nvml/nvml_api.hpp"
#include "sources/nvml/nvml_source.hpp"
#include "sources/take_frames.hpp"

namespace migpower {
namespace {

using test::a100_mig_card;
using test::FakeNvml;
using test::full_card;
using test::scenario;
using test::take;

nlohmann::json error(const std::string& call, int code) { return {{"call", call}, {"code", code}}; }

bool any_contains(const std::vector<std::string>& lines, const std::string& text) {
  return std::any_of(lines.begin(), lines.end(),
                     [&](const std::string& line) { return line.find(text) != std::string::npos; });
}

const FieldProvision& field(const CardReport& card, std::string_view name) {
  for (const FieldProvision& item : card.fields) {
    if (item.field == name) return item;
  }
  throw std::runtime_error("no field " + std::string(name));
}

TEST(NvmlErrors, DriverNotLoadedAtInitIsAnErrorSayingSo) {
  FakeNvml fake(scenario({full_card()}, {error("nvmlInit_v2", nvml::kErrorDriverNotLoaded)}));
  ManualClock clock;
  try {
    NvmlSource source(fake.options(clock));
    FAIL() << "NVML initialized without a driver";
  } catch (const nvml::NvmlError& e) {
    EXPECT_EQ(e.code(), nvml::kErrorDriverNotLoaded);
    EXPECT_NE(std::string(e.what()).find(
                  "nvml: nvmlInit_v2: the NVIDIA kernel driver is not loaded (NVML error 9"),
              std::string::npos)
        << e.what();
  }
  const SourceReport report = probe_nvml(fake.options(clock));
  EXPECT_FALSE(report.available);
  EXPECT_TRUE(report.detail.starts_with("nvmlInit_v2: the NVIDIA kernel driver is not loaded"))
      << report.detail;
}

TEST(NvmlErrors, NoGpuIsAnError) {
  FakeNvml fake(scenario({}));
  ManualClock clock;
  try {
    NvmlSource source(fake.options(clock));
    FAIL() << "a source without GPUs";
  } catch (const nvml::NvmlError& e) {
    EXPECT_EQ(e.code(), nvml::kErrorGpuNotFound);
    EXPECT_EQ(std::string(e.what()), "nvml: no NVIDIA GPU found");
  }
  EXPECT_FALSE(fake.initialized());  // shut down again on the way out
}

TEST(NvmlErrors, MissingLibraryMakesTheSourceUnavailableWithTheReason) {
  NvmlSourceOptions options;
  options.library_path = "/nonexistent/libnvidia-ml.so.1";
  const SourceReport report = probe_nvml(options);
  EXPECT_EQ(report.source, "nvml");
  EXPECT_FALSE(report.available);
  EXPECT_TRUE(
      report.detail.starts_with("/nonexistent/libnvidia-ml.so.1 not found (no NVIDIA driver?)"))
      << report.detail;
}

TEST(NvmlErrors, NotSupportedIsAskedOnceAndTheFieldLeftEmpty) {
  FakeNvml fake(scenario({full_card()},
                         {error("nvmlDeviceGetTotalEnergyConsumption", nvml::kErrorNotSupported)}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  const auto frames = take(source, 5);
  ASSERT_EQ(frames.size(), 5u);
  for (const Frame& frame : frames) {
    EXPECT_FALSE(frame.energy_mj);
    EXPECT_TRUE(frame.power_w);
  }
  EXPECT_EQ(fake.calls("nvmlDeviceGetTotalEnergyConsumption"), 1u);
  const FieldProvision energy = field(source.report().cards.at(0), field::kEnergy);
  EXPECT_FALSE(energy.provided);
  EXPECT_NE(energy.detail.find("nvmlDeviceGetTotalEnergyConsumption: not supported"),
            std::string::npos)
      << energy.detail;
}

TEST(NvmlErrors, NoPermissionIsRememberedAndReported) {
  FakeNvml fake(
      scenario({full_card()}, {error("nvmlDeviceGetTemperature", nvml::kErrorNoPermission)}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  const auto frames = take(source, 3);
  for (const Frame& frame : frames) EXPECT_FALSE(frame.temperature_c);
  EXPECT_EQ(fake.calls("nvmlDeviceGetTemperature"), 1u);
  EXPECT_NE(field(source.report().cards.at(0), field::kGpuTemp).detail.find("no permission"),
            std::string::npos);
}

TEST(NvmlErrors, TransientErrorLeavesOneValueMissingAndIsAskedAgain) {
  nlohmann::json timeout = error("nvmlDeviceGetClockInfo", nvml::kErrorTimeout);
  timeout["times"] = 1;  // the first call (the SM clock) times out
  FakeNvml fake(scenario({full_card()}, {timeout}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  const auto frames = take(source, 2);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_FALSE(frames[0].sm_clock_mhz);
  EXPECT_DOUBLE_EQ(*frames[0].mem_clock_mhz, 1215.0);
  EXPECT_DOUBLE_EQ(*frames[1].sm_clock_mhz, 1410.0);
}

TEST(NvmlErrors, MissingOptionalSymbolsDisableWhatTheyServeByName) {
  FakeNvml fake(scenario({a100_mig_card()}), MIGPOWER_FAKE_NVML_MINIMAL);
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  EXPECT_DOUBLE_EQ(*frame.power_w, 100.0);  // nvmlDeviceGetPowerUsage: always there
  EXPECT_EQ(frame.gpu_model, "");
  EXPECT_FALSE(frame.energy_mj);
  EXPECT_FALSE(frame.sm_clock_mhz);
  // Without nvmlDeviceGetMigMode the card is read as one whole instance.
  ASSERT_EQ(frame.instances.size(), 1u);
  EXPECT_EQ(frame.instances[0].gpu_i_id, 0);
  EXPECT_FALSE(frame.instances[0].fb_used_mib);

  const SourceReport report = source.report();
  ASSERT_FALSE(report.notes.empty());
  EXPECT_NE(report.notes[0].find("nvmlGpmMetricsGet"), std::string::npos) << report.notes[0];
  const CardReport& card = report.cards.at(0);
  EXPECT_NE(card.mig.find("nvmlDeviceGetMigMode missing"), std::string::npos) << card.mig;
  EXPECT_NE(field(card, field::kEnergy).detail.find("nvmlDeviceGetTotalEnergyConsumption missing"),
            std::string::npos);
  EXPECT_NE(field(card, "DCGM_FI_PROF_SM_ACTIVE").detail.find("nvmlGpmQueryDeviceSupport missing"),
            std::string::npos);
  EXPECT_NE(field(card, field::kPower).detail.find("nvmlDeviceGetPowerUsage"), std::string::npos);
}

TEST(NvmlErrors, LostGpuIsSkippedThenFoundAgainWhileTheOtherGoesOn) {
  nlohmann::json card = a100_mig_card();
  card["gpm"] = true;
  card["gpm_metrics"] = {{"SM_UTIL", 50}};
  nlohmann::json lost = error("*", nvml::kErrorGpuIsLost);
  lost["device"] = 0;
  lost["from_tick"] = 2;
  lost["to_tick"] = 4;
  FakeNvml fake(scenario({card, full_card()}, {lost}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  std::vector<std::string> events;
  NvmlSourceOptions options = fake.options(clock, &events);
  options.duration_s = 6.0;
  NvmlSource source(options);
  const auto frames = take(source, 100);
  std::vector<double> first;
  std::vector<double> second;
  for (const Frame& frame : frames) {
    (frame.gpu_uuid == card["uuid"] ? first : second).push_back(frame.timestamp_s - 1767225600.0);
  }
  EXPECT_EQ(first, (std::vector<double>{0, 1, 4, 5}));  // lost at 2; missing at 3; back at 4
  EXPECT_EQ(second, (std::vector<double>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(frames.back().instances.size(), 1u);
  const Frame& back = *std::find_if(frames.begin(), frames.end(), [&](const Frame& f) {
    return f.gpu_uuid == card["uuid"] && f.timestamp_s == 1767225604.0;
  });
  EXPECT_EQ(back.instances.size(), 3u);  // the MIG layout is read again
  EXPECT_EQ(source.rediscoveries(), 2u);
  EXPECT_EQ(fake.calls("nvmlInit_v2"), 3u);
  EXPECT_TRUE(any_contains(events, "the GPU is lost"));
  EXPECT_TRUE(any_contains(events, "found all 2 GPUs again"));
  // Two GPM samples for each of the three instances before the loss and again after: the old
  // ones were freed at re-discovery.
  EXPECT_EQ(fake.calls("nvmlGpmSampleAlloc"), 12u);
  EXPECT_EQ(fake.live_samples(), 6);
}

TEST(NvmlErrors, RediscoveryBacksOffWhileTheGpuStaysLost) {
  nlohmann::json lost = error("*", nvml::kErrorGpuIsLost);
  lost["from_tick"] = 1;
  FakeNvml fake(scenario({full_card()}, {lost}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  std::vector<std::string> events;
  NvmlSourceOptions options = fake.options(clock, &events);
  options.duration_s = 40.0;
  NvmlSource source(options);
  EXPECT_EQ(take(source, 100).size(), 1u);
  // Lost at 1 s; looked for at 2, 3, 5, 9, 17 and 33 s: the wait doubles.
  EXPECT_EQ(source.rediscoveries(), 6u);
  EXPECT_EQ(fake.calls("nvmlInit_v2"), 7u);
  EXPECT_TRUE(any_contains(events, "next try in 16"));
}

nlohmann::json instance(int slot, int gi, const std::string& profile, int slices) {
  return {{"slot", slot},
          {"gi", gi},
          {"profile", profile},
          {"gi_slices", slices},
          {"fb_used_mib", 100}};
}

TEST(NvmlErrors, VanishedInstanceMakesTheSourceReadTheNewLayoutAtOnce) {
  nlohmann::json card = a100_mig_card();
  nlohmann::json sevens = nlohmann::json::array();
  for (int s = 0; s < 7; ++s) sevens.push_back(instance(s, 7 + s, "1g.5gb", 1));
  card["mig_layouts"] = {
      {{"from_tick", 0},
       {"instances", {instance(0, 1, "4g.20gb", 4), instance(1, 2, "3g.20gb", 3)}}},
      {{"from_tick", 3}, {"instances", sevens}}};
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  std::vector<std::string> events;
  NvmlSourceOptions options = fake.options(clock, &events);
  options.layout_check_interval_s = 1000.0;  // only the stale handle can reveal the change
  NvmlSource source(options);
  const auto frames = take(source, 5);
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[2].instances.size(), 2u);
  ASSERT_EQ(frames[3].instances.size(), 7u);
  EXPECT_EQ(frames[3].instances[0].gpu_i_id, 7);
  EXPECT_EQ(frames[3].instances[6].profile, "1g.5gb");
  EXPECT_EQ(source.layout_changes(), 1u);
  EXPECT_TRUE(any_contains(
      events, "layout changed from MIG 1:4g.20gb, 2:3g.20gb to MIG 7:1g.5gb, 8:1g.5gb"));
}

TEST(NvmlErrors, AddedInstanceIsFoundByThePeriodicLayoutCheck) {
  nlohmann::json card = a100_mig_card();
  card["mig_layouts"] = {
      {{"from_tick", 0}, {"instances", {instance(0, 1, "3g.20gb", 3)}}},
      {{"from_tick", 2},
       {"instances", {instance(0, 1, "3g.20gb", 3), instance(1, 2, "3g.20gb", 3)}}}};
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSourceOptions options = fake.options(clock);
  options.layout_check_interval_s = 3.0;
  NvmlSource source(options);
  const auto frames = take(source, 5);
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[2].instances.size(), 1u);  // the old handle still answers
  EXPECT_EQ(frames[3].instances.size(), 2u);  // the check at 3 s finds the new one
  EXPECT_EQ(source.layout_changes(), 1u);
}

TEST(NvmlErrors, MigTurnedOffMakesTheCardOneWholeInstance) {
  nlohmann::json card = a100_mig_card();
  card["mig_layouts"] = {{{"from_tick", 0}, {"instances", {instance(0, 1, "3g.20gb", 3)}}},
                         {{"from_tick", 2}, {"mig", false}}};
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSource source(fake.options(clock));
  const auto frames = take(source, 3);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[1].instances.at(0).profile, "3g.20gb");
  ASSERT_EQ(frames[2].instances.size(), 1u);
  EXPECT_EQ(frames[2].instances[0].gpu_i_id, 0);
  EXPECT_EQ(frames[2].instances[0].profile, "");
  EXPECT_DOUBLE_EQ(*frames[2].instances[0].fb_used_mib, 2048.0);
}

}  // namespace
}  // namespace migpower
