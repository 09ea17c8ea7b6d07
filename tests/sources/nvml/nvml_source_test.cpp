#include "sources/nvml/nvml_source.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "sources/nvml/fake_nvml.hpp"
#include "sources/nvml/nvml_api.hpp"
#include "sources/take_frames.hpp"
#include "trace/trace_reader.hpp"
#include "trace/trace_writer.hpp"

namespace migpower {
namespace {

using test::a100_mig_card;
using test::FakeNvml;
using test::full_card;
using test::scenario;
using test::take;

TEST(NvmlSource, ReadsTheCardsFieldsInTraceUnits) {
  FakeNvml fake(scenario({full_card()}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  ASSERT_EQ(source.card_count(), 1u);
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  EXPECT_EQ(frame.gpu_uuid, "GPU-11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(frame.gpu_model, "NVIDIA A100-SXM4-40GB");
  EXPECT_DOUBLE_EQ(frame.timestamp_s, 1767225600.0);
  EXPECT_EQ(frame.timestamp_text, "1767225600.000");
  EXPECT_DOUBLE_EQ(*frame.power_w, 101.5);  // instantaneous field, mW -> W
  EXPECT_DOUBLE_EQ(*frame.energy_mj, 5000000.0);
  EXPECT_DOUBLE_EQ(*frame.power_limit_w, 400.0);
  EXPECT_DOUBLE_EQ(*frame.sm_clock_mhz, 1410.0);
  EXPECT_DOUBLE_EQ(*frame.mem_clock_mhz, 1215.0);
  EXPECT_DOUBLE_EQ(*frame.temperature_c, 41.0);
  // Without MIG the card is one instance, as a trace's full-GPU row: id 0, no profile.
  ASSERT_EQ(frame.instances.size(), 1u);
  const InstanceSample& whole = frame.instances[0];
  EXPECT_EQ(whole.gpu_i_id, 0);
  EXPECT_EQ(whole.profile, "");
  EXPECT_EQ(whole.compute_slices, 0);
  EXPECT_DOUBLE_EQ(*whole.fb_used_mib, 2048.0);
  EXPECT_DOUBLE_EQ(*whole.get(Activity::gr_engine), 0.37);  // utilization.gpu without GPM
  EXPECT_FALSE(whole.get(Activity::sm));
}

TEST(NvmlSource, PacesFramesOneIntervalApartAndStopsAfterTheDuration) {
  FakeNvml fake(scenario({full_card()}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSourceOptions options = fake.options(clock);
  options.duration_s = 3.0;
  options.power = PowerReading::instant;
  NvmlSource source(options);
  const auto frames = take(source, 100);
  ASSERT_EQ(frames.size(), 3u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_DOUBLE_EQ(frames[i].timestamp_s, 1767225600.0 + static_cast<double>(i));
    // The fake's power list moves one entry per tick.
    EXPECT_DOUBLE_EQ(*frames[i].power_w, 101.5 + 10.0 * static_cast<double>(i));
  }
  // The energy counter grew by the fake's power of each tick (mW x 1 s = mJ).
  EXPECT_DOUBLE_EQ(*frames[2].energy_mj - *frames[0].energy_mj, 100000.0 + 110000.0);
}

TEST(NvmlSource, AveragePowerWhenChosen) {
  FakeNvml fake(scenario({full_card()}));
  ManualClock clock;
  NvmlSourceOptions options = fake.options(clock);
  options.power = PowerReading::average;
  NvmlSource source(options);
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  EXPECT_DOUBLE_EQ(*frame.power_w, 100.0);
  EXPECT_EQ(fake.calls("nvmlDeviceGetFieldValues"), 0u);
}

TEST(NvmlSource, AveragePowerWhenTheDriverHasNoInstantaneousField) {
  auto card = full_card();
  card.erase("instant_power_mw");
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSourceOptions options = fake.options(clock);
  options.power = PowerReading::instant;
  NvmlSource source(options);
  const auto frames = take(source, 3);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_DOUBLE_EQ(*frames[0].power_w, 100.0);
  EXPECT_DOUBLE_EQ(*frames[2].power_w, 120.0);
  EXPECT_EQ(fake.calls("nvmlDeviceGetFieldValues"), 1u);  // asked once, then never again
}

// The default: each frame's power is the mean since the frame before, from the energy counter,
// so a duty-cycled load is not sampled at one instant of its cycle.
TEST(NvmlSource, IntervalPowerIsTheEnergyCountersMeanOverEachFrame) {
  auto card = full_card();
  card["power_mw"] = {600000, 100000, 100000, 600000};  // the counter grows by these per tick
  card["instant_power_mw"] = 95000;                     // always read in the idle half
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSourceOptions options = fake.options(clock);
  options.interval_s = 2.0;
  NvmlSource source(options);
  const auto frames = take(source, 3);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_DOUBLE_EQ(*frames[0].power_w, 95.0);  // no interval yet: the instantaneous field
  EXPECT_DOUBLE_EQ(*frames[1].power_w, (600.0 + 100.0) / 2.0);
  EXPECT_DOUBLE_EQ(*frames[2].power_w, (100.0 + 600.0) / 2.0);
  // Energy and power agree: what the frames' power integrates to is what the counter counted.
  EXPECT_DOUBLE_EQ((*frames[2].energy_mj - *frames[0].energy_mj) / 1000.0,
                   (*frames[1].power_w + *frames[2].power_w) * 2.0);
  EXPECT_EQ(fake.calls("nvmlDeviceGetFieldValues"), 1u);  // only for the first frame
}

TEST(NvmlSource, IntervalPowerFallsBackWhenTheCounterGoesBackwardsOrIsMissing) {
  auto card = full_card();
  card["instant_power_mw"] = 95000;
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSource source(fake.options(clock));
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  ASSERT_TRUE(source.next(frame));
  EXPECT_DOUBLE_EQ(*frame.power_w, 100.0);  // counter: power_mw of the tick between
  fake.reset_energy_counters();             // as a driver reload does
  ASSERT_TRUE(source.next(frame));
  EXPECT_DOUBLE_EQ(*frame.power_w, 95.0);
  ASSERT_TRUE(source.next(frame));
  EXPECT_DOUBLE_EQ(*frame.power_w, 120.0);  // counting again from the reset
}

TEST(NvmlSource, SourcesSaysPowerIsTheIntervalMeanFromTheCounter) {
  FakeNvml fake(scenario({full_card()}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  const SourceReport report = source.report();
  ASSERT_EQ(report.cards.size(), 1u);
  bool found = false;
  for (const auto& field : report.cards[0].fields) {
    if (field.field != "DCGM_FI_DEV_POWER_USAGE") continue;
    found = true;
    EXPECT_TRUE(field.provided);
    EXPECT_NE(field.detail.find("mean over each frame from nvmlDeviceGetTotalEnergyConsumption"),
              std::string::npos)
        << field.detail;
  }
  EXPECT_TRUE(found);
}

TEST(NvmlSource, MigDevicesAreGroupedByGpuInstanceAndEmptySlotsSkipped) {
  FakeNvml fake(scenario({a100_mig_card()}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  ASSERT_EQ(frame.instances.size(), 3u);
  const auto& three = frame.instances[0];
  EXPECT_EQ(three.gpu_i_id, 1);
  EXPECT_EQ(three.profile, "3g.20gb");
  EXPECT_EQ(three.compute_slices, 3);
  EXPECT_EQ(three.memory_slices, 4);  // from the catalog, as the trace reader resolves it
  EXPECT_DOUBLE_EQ(*three.fb_used_mib, 1000.0);
  // GPU instance 5 has two compute instances ("MIG 1c.2g.10gb"): one instance, its GI profile.
  const auto& two = frame.instances[1];
  EXPECT_EQ(two.gpu_i_id, 5);
  EXPECT_EQ(two.profile, "2g.10gb");
  EXPECT_EQ(two.compute_slices, 2);
  EXPECT_EQ(two.memory_slices, 2);
  EXPECT_DOUBLE_EQ(*two.fb_used_mib, 512.0);
  const auto& one = frame.instances[2];
  EXPECT_EQ(one.gpu_i_id, 13);
  EXPECT_EQ(one.profile, "1g.5gb");
  EXPECT_EQ(one.compute_slices, 1);
  // Card fields still come from the card; no whole-card utilization under MIG.
  EXPECT_DOUBLE_EQ(*frame.power_w, 101.5);
  EXPECT_FALSE(three.get(Activity::gr_engine));
  EXPECT_EQ(fake.calls("nvmlDeviceGetUtilizationRates"), 0u);
}

TEST(NvmlSource, ProfileOfAnUnknownModelComesFromTheNameAndAttributes) {
  auto card = a100_mig_card();
  card["name"] = "NVIDIA Z9000";  // not in the catalog
  card["mig_layouts"][0]["instances"] = {
      {{"gi", 2}, {"profile", "2g.24gb"}, {"gi_slices", 2}, {"fb_used_mib", 10}},
      {{"gi", 3}, {"profile", ""}, {"gi_slices", 1}, {"memory_mib", 11776}, {"fb_used_mib", 10}}};
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  ASSERT_EQ(frame.instances.size(), 2u);
  EXPECT_EQ(frame.instances[0].profile, "2g.24gb");
  EXPECT_EQ(frame.instances[0].compute_slices, 2);
  EXPECT_EQ(frame.instances[0].memory_slices, 0);  // unknown without the catalog
  // A MIG device whose name carries no profile: "Ng.Mgb" from its attributes.
  EXPECT_EQ(frame.instances[1].profile, "1g.12gb");
  EXPECT_EQ(frame.instances[1].compute_slices, 1);
}

TEST(NvmlSource, SeveralCardsShareEachTicksTimestamp) {
  FakeNvml fake(scenario({a100_mig_card(), full_card()}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSource source(fake.options(clock));
  const auto frames = take(source, 4);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].gpu_uuid, "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee");
  EXPECT_EQ(frames[1].gpu_uuid, "GPU-11111111-2222-3333-4444-555555555555");
  EXPECT_EQ(frames[0].timestamp_text, frames[1].timestamp_text);
  EXPECT_EQ(frames[2].timestamp_text, frames[3].timestamp_text);
  EXPECT_DOUBLE_EQ(frames[2].timestamp_s - frames[0].timestamp_s, 1.0);
}

TEST(NvmlSource, RecordedFramesReadBackIdenticallyThroughTheTraceContract) {
  FakeNvml fake(scenario({a100_mig_card(), full_card()}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSourceOptions options = fake.options(clock);
  options.duration_s = 4.0;
  NvmlSource source(options);
  const auto frames = take(source, 100);
  ASSERT_EQ(frames.size(), 8u);
  const auto path = std::filesystem::temp_directory_path() /
                    ("migpower-nvml-readback-" + std::to_string(::getpid()) + ".csv");
  {
    std::ofstream out(path);
    TraceWriter writer(out);
    for (const Frame& frame : frames) writer.write(frame);
  }
  TraceReader reader(path.string());
  const auto back = take(reader, 100);
  std::filesystem::remove(path);
  ASSERT_EQ(back.size(), frames.size());
  for (std::size_t f = 0; f < frames.size(); ++f) {
    const Frame& a = frames[f];
    const Frame& b = back[f];
    EXPECT_EQ(a.timestamp_text, b.timestamp_text);
    EXPECT_EQ(a.gpu_uuid, b.gpu_uuid);
    EXPECT_EQ(a.gpu_model, b.gpu_model);
    EXPECT_EQ(a.power_w, b.power_w);
    EXPECT_EQ(a.energy_mj, b.energy_mj);
    EXPECT_EQ(a.sm_clock_mhz, b.sm_clock_mhz);
    EXPECT_EQ(a.temperature_c, b.temperature_c);
    EXPECT_EQ(a.power_limit_w, b.power_limit_w);
    ASSERT_EQ(a.instances.size(), b.instances.size());
    for (std::size_t i = 0; i < a.instances.size(); ++i) {
      EXPECT_EQ(a.instances[i].gpu_i_id, b.instances[i].gpu_i_id);
      EXPECT_EQ(a.instances[i].profile, b.instances[i].profile);
      EXPECT_EQ(a.instances[i].compute_slices, b.instances[i].compute_slices);
      EXPECT_EQ(a.instances[i].memory_slices, b.instances[i].memory_slices);
      EXPECT_EQ(a.instances[i].fb_used_mib, b.instances[i].fb_used_mib);
      EXPECT_EQ(a.instances[i].activity, b.instances[i].activity);
    }
  }
}

TEST(NvmlSource, StopRequestEndsTheStream) {
  FakeNvml fake(scenario({full_card()}));
  ManualClock clock;
  std::atomic<bool> stop{false};
  int sleeps = 0;
  clock.on_sleep = [&](double) {
    if (++sleeps == 3) stop = true;  // as SIGINT would, during the third wait
  };
  NvmlSourceOptions options = fake.options(clock);
  options.stop = &stop;
  NvmlSource source(options);
  EXPECT_EQ(take(source, 100).size(), 2u);
}

TEST(NvmlSource, ShutsNvmlDownWhenDestroyed) {
  FakeNvml fake(scenario({full_card()}));
  ManualClock clock;
  {
    NvmlSource source(fake.options(clock));
    EXPECT_TRUE(fake.initialized());
  }
  EXPECT_FALSE(fake.initialized());
  EXPECT_EQ(fake.calls("nvmlShutdown"), 1u);
}

TEST(NvmlSource, ReportListsCardsLayoutAndWhoProvidesEachField) {
  FakeNvml fake(scenario({a100_mig_card()}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  const SourceReport report = source.report();
  EXPECT_EQ(report.source, "nvml");
  EXPECT_TRUE(report.available);
  EXPECT_NE(report.detail.find("driver 550.54.15"), std::string::npos) << report.detail;
  ASSERT_EQ(report.cards.size(), 1u);
  const CardReport& card = report.cards[0];
  EXPECT_EQ(card.mig, "on");
  ASSERT_EQ(card.instances.size(), 3u);
  EXPECT_EQ(card.instances[1].gpu_i_id, 5);
  EXPECT_EQ(card.instances[1].compute_instance_ids, (std::vector<int>{0, 1}));
  EXPECT_EQ(card.instances[1].memory_mib, 9856.0);
  const auto field = [&](std::string_view name) {
    for (const FieldProvision& item : card.fields) {
      if (item.field == name) return item;
    }
    ADD_FAILURE() << "no field " << name;
    return FieldProvision{};
  };
  EXPECT_TRUE(field("DCGM_FI_DEV_POWER_USAGE").provided);
  EXPECT_NE(field("DCGM_FI_DEV_POWER_USAGE").detail.find("NVML_FI_DEV_POWER_INSTANT"),
            std::string::npos);
  EXPECT_TRUE(field("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION").provided);
  EXPECT_TRUE(field("DCGM_FI_DEV_FB_USED").provided);
  EXPECT_EQ(field("DCGM_FI_DEV_FB_USED").detail, "nvmlDeviceGetMemoryInfo_v2");
  // An A100 has no GPM: activity is not provided, and the report says why.
  const FieldProvision sm = field("DCGM_FI_PROF_SM_ACTIVE");
  EXPECT_FALSE(sm.provided);
  EXPECT_NE(sm.detail.find("GPM not supported"), std::string::npos) << sm.detail;
}

}  // namespace
}  // namespace migpower
