// NvmlSource's per-process reading (NvmlSourceOptions::processes) on the fake NVML library:
// utilization on a full GPU, the process -> GPU instance map on MIG, and the answers that mean
// "nothing to report" rather than failure.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "sources/nvml/fake_nvml.hpp"
#include "sources/nvml/nvml_source.hpp"

namespace migpower {
namespace {

using test::a100_mig_card;
using test::FakeNvml;
using test::full_card;
using test::scenario;

// A full (non-MIG) card shared by two processes, time-sliced. The utilization lists move one
// entry per tick; pid 1002 is idle at tick 1, so the driver has no sample of it then.
nlohmann::json shared_card() {
  nlohmann::json card = full_card();
  card["processes"] = {{{"pid", 1001},
                        {"name", "python3"},
                        {"used_memory_mib", 1024},
                        {"sm_util", {10, 30, 50}},
                        {"mem_util", {5, 15, 25}}},
                       {{"pid", 1002},
                        {"name", "llama-server"},
                        {"used_memory_mib", 2048},
                        {"sm_util", {40, 0, 60}},
                        {"mem_util", {20, 0, 10}}}};
  return card;
}

const FieldProvision& process_item(const CardReport& card, const std::string& name) {
  const auto found = std::find_if(card.process_data.begin(), card.process_data.end(),
                                  [&](const FieldProvision& item) { return item.field == name; });
  if (found == card.process_data.end()) throw std::runtime_error("no report item " + name);
  return *found;
}

NvmlSourceOptions with_processes(NvmlSourceOptions options) {
  options.processes = true;
  return options;
}

TEST(NvmlProcesses, FullGpuReportsEachProcessAndEachDriverSampleOnce) {
  FakeNvml fake(scenario({shared_card()}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  std::vector<std::string> events;
  NvmlSource source(with_processes(fake.options(clock, &events)));
  Frame frame;
  // Expected per tick: {pid 1001 sm, mem}, {pid 1002 sm, mem} (none: no sample that tick).
  const std::vector<std::vector<std::optional<double>>> expected = {
      {10, 5, 40, 20}, {30, 15, std::nullopt, std::nullopt}, {50, 25, 60, 10}};
  for (std::size_t tick = 0; tick < expected.size(); ++tick) {
    ASSERT_TRUE(source.next(frame));
    const auto& processes = source.processes();
    ASSERT_EQ(processes.size(), 2u) << tick;
    EXPECT_EQ(processes[0].pid, 1001u);  // sorted by pid without MIG
    EXPECT_EQ(processes[1].pid, 1002u);
    for (const ProcessSample& process : processes) {
      EXPECT_EQ(process.timestamp_text, frame.timestamp_text);
      EXPECT_DOUBLE_EQ(process.timestamp_s, frame.timestamp_s);
      EXPECT_EQ(process.gpu_uuid, frame.gpu_uuid);
      EXPECT_FALSE(process.gpu_i_id) << "a full GPU has no instance id";
    }
    EXPECT_EQ(processes[0].name, "python3");
    EXPECT_EQ(processes[1].name, "llama-server");
    EXPECT_EQ(processes[0].used_memory_bytes, 1024ULL << 20U);
    EXPECT_EQ(processes[1].used_memory_bytes, 2048ULL << 20U);
    // With lastSeenTimeStamp left at 0, tick 1 would average ticks 0 and 1 (20, not 30).
    EXPECT_EQ(processes[0].sm_util_pct, expected[tick][0]) << tick;
    EXPECT_EQ(processes[0].mem_util_pct, expected[tick][1]) << tick;
    EXPECT_EQ(processes[1].sm_util_pct, expected[tick][2]) << tick;
    EXPECT_EQ(processes[1].mem_util_pct, expected[tick][3]) << tick;
  }
  // A name is looked up once per process, not once per frame.
  EXPECT_EQ(fake.calls("nvmlSystemGetProcessName"), 2u);
  EXPECT_TRUE(events.empty());
  // The trace side is untouched: the card is still one instance with its own fields.
  ASSERT_EQ(frame.instances.size(), 1u);
  EXPECT_DOUBLE_EQ(*frame.instances[0].fb_used_mib, 2048.0);
}

TEST(NvmlProcesses, NoNewSampleSinceTheLastFrameIsAnEmptySetNotAnError) {
  FakeNvml fake(scenario({shared_card()}));
  ManualClock clock;  // the fake's tick never moves: the driver takes no new sample
  std::vector<std::string> events;
  NvmlSource source(with_processes(fake.options(clock, &events)));
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  EXPECT_EQ(source.processes().at(0).sm_util_pct, 10.0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(source.next(frame));  // nvmlDeviceGetProcessUtilization: "not found"
    ASSERT_EQ(source.processes().size(), 2u);
    EXPECT_FALSE(source.processes()[0].sm_util_pct);
    EXPECT_FALSE(source.processes()[1].mem_util_pct);
    EXPECT_EQ(source.processes()[0].used_memory_bytes, 1024ULL << 20U);
    EXPECT_TRUE(frame.power_w);
  }
  EXPECT_TRUE(events.empty());
  // Still asked every frame: "not found" is an answer, not a refusal.
  EXPECT_EQ(fake.calls("nvmlDeviceGetProcessUtilization"), 4u + 1u);  // + the count query
  EXPECT_TRUE(process_item(source.report().cards.at(0), "per-process utilization").provided);
}

TEST(NvmlProcesses, AnIdleCardHasNoProcessesAndNoError) {
  FakeNvml fake(scenario({full_card()}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  std::vector<std::string> events;
  NvmlSource source(with_processes(fake.options(clock, &events)));
  Frame frame;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(source.next(frame));
    EXPECT_TRUE(source.processes().empty());
  }
  EXPECT_TRUE(events.empty());
  const CardReport card = source.report().cards.at(0);
  EXPECT_TRUE(process_item(card, "processes (whole GPU)").provided);
  EXPECT_TRUE(process_item(card, "per-process utilization").provided);
}

TEST(NvmlProcesses, SeveralDriverSamplesInOneIntervalAreAveraged) {
  nlohmann::json card = full_card();
  card["process_samples_per_tick"] = 2;
  card["processes"] = {{{"pid", 7}, {"name", "bench"}, {"sm_util", {20, 40}}, {"mem_util", 8}}};
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSource source(with_processes(fake.options(clock)));
  Frame frame;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(source.next(frame));
    ASSERT_EQ(source.processes().size(), 1u);
    EXPECT_EQ(source.processes()[0].sm_util_pct, 30.0) << i;
    EXPECT_EQ(source.processes()[0].mem_util_pct, 8.0) << i;
    EXPECT_FALSE(source.processes()[0].used_memory_bytes);  // NVML_VALUE_NOT_AVAILABLE
  }
}

TEST(NvmlProcesses, ProcessesComeAndGoBetweenFrames) {
  nlohmann::json card = shared_card();
  card["processes"][0]["to_tick"] = 1;    // python3 exits after the first frame
  card["processes"][1]["from_tick"] = 1;  // llama-server starts at the second
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSource source(with_processes(fake.options(clock)));
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  ASSERT_EQ(source.processes().size(), 1u);
  EXPECT_EQ(source.processes()[0].pid, 1001u);
  ASSERT_TRUE(source.next(frame));
  // python3 is gone; llama-server runs but is idle at tick 1: listed, with no utilization.
  ASSERT_EQ(source.processes().size(), 1u);
  EXPECT_EQ(source.processes()[0].pid, 1002u);
  EXPECT_EQ(source.processes()[0].name, "llama-server");
  EXPECT_FALSE(source.processes()[0].sm_util_pct);
  ASSERT_TRUE(source.next(frame));
  ASSERT_EQ(source.processes().size(), 1u);
  EXPECT_EQ(source.processes()[0].pid, 1002u);
  EXPECT_EQ(source.processes()[0].sm_util_pct, 60.0);
}

TEST(NvmlProcesses, MigCardMapsEachProcessToItsGpuInstanceWithoutUtilization) {
  nlohmann::json card = a100_mig_card();
  card["processes"] = {
      {{"pid", 3003}, {"name", "infer"}, {"gi", 13}, {"used_memory_mib", 200}, {"sm_util", 50}},
      {{"pid", 3001}, {"name", "train.py"}, {"gi", 1}, {"used_memory_mib", 900}},
      {{"pid", 3002}, {"name", "worker"}, {"gi", 5}, {"ci", 1}, {"used_memory_mib", 300}}};
  FakeNvml fake(scenario({card}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  std::vector<std::string> events;
  NvmlSource source(with_processes(fake.options(clock, &events)));
  Frame frame;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(source.next(frame));
    ASSERT_EQ(frame.instances.size(), 3u);  // the frame is as without --processes
    const auto& processes = source.processes();
    ASSERT_EQ(processes.size(), 3u);
    // Sorted by GPU instance; each in the instance it runs in.
    EXPECT_EQ(processes[0].pid, 3001u);
    EXPECT_EQ(processes[0].gpu_i_id, 1);
    EXPECT_EQ(processes[0].name, "train.py");
    EXPECT_EQ(processes[1].pid, 3002u);
    EXPECT_EQ(processes[1].gpu_i_id, 5);  // on the second compute instance of GI 5
    EXPECT_EQ(processes[2].pid, 3003u);
    EXPECT_EQ(processes[2].gpu_i_id, 13);
    EXPECT_EQ(processes[2].used_memory_bytes, 200ULL << 20U);
    for (const ProcessSample& process : processes) {
      EXPECT_FALSE(process.sm_util_pct) << "NVML has no per-process utilization with MIG on";
      EXPECT_FALSE(process.mem_util_pct);
    }
  }
  // "Not supported" is taken quietly, once.
  EXPECT_EQ(fake.calls("nvmlDeviceGetProcessUtilization"), 1u);
  EXPECT_TRUE(events.empty());
  const CardReport report = source.report().cards.at(0);
  const FieldProvision& map = process_item(report, "processes by GPU instance");
  EXPECT_TRUE(map.provided);
  EXPECT_NE(map.detail.find("on each MIG device"), std::string::npos) << map.detail;
  const FieldProvision& utilization = process_item(report, "per-process utilization");
  EXPECT_FALSE(utilization.provided);
  EXPECT_NE(utilization.detail.find("not supported"), std::string::npos) << utilization.detail;
  EXPECT_NE(utilization.detail.find("MIG on"), std::string::npos) << utilization.detail;
}

TEST(NvmlProcesses, UtilizationRefusedOnAFullGpuLeavesTheProcessList) {
  FakeNvml fake(scenario({shared_card()},
                         {{{"call", "nvmlDeviceGetProcessUtilization"}, {"code", 4}}}));  // perm.
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  std::vector<std::string> events;
  NvmlSource source(with_processes(fake.options(clock, &events)));
  Frame frame;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(source.next(frame));
    ASSERT_EQ(source.processes().size(), 2u);
    EXPECT_FALSE(source.processes()[0].sm_util_pct);
    EXPECT_EQ(source.processes()[1].used_memory_bytes, 2048ULL << 20U);
  }
  EXPECT_EQ(fake.calls("nvmlDeviceGetProcessUtilization"), 1u);
  EXPECT_TRUE(events.empty());
  const auto report = source.report();  // kept: process_item refers into it
  const FieldProvision& utilization = process_item(report.cards.at(0), "per-process utilization");
  EXPECT_FALSE(utilization.provided);
  EXPECT_NE(utilization.detail.find("no permission"), std::string::npos) << utilization.detail;
}

TEST(NvmlProcesses, NotFoundFromTheProcessListMeansNoProcess) {
  FakeNvml fake(scenario({shared_card()},
                         {{{"call", "nvmlDeviceGetComputeRunningProcesses_v3"}, {"code", 6}}}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  std::vector<std::string> events;
  NvmlSource source(with_processes(fake.options(clock, &events)));
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  // The busy processes still appear through their utilization samples, without memory.
  ASSERT_EQ(source.processes().size(), 2u);
  EXPECT_EQ(source.processes()[0].sm_util_pct, 10.0);
  EXPECT_FALSE(source.processes()[0].used_memory_bytes);
  ASSERT_TRUE(source.next(frame));
  EXPECT_EQ(source.processes().size(), 1u);  // pid 1002 idle at tick 1
  EXPECT_TRUE(events.empty());
  EXPECT_EQ(source.card_count(), 1u);
  EXPECT_EQ(source.rediscoveries(), 0u);
}

TEST(NvmlProcesses, AProcessWhoseNameCannotBeReadKeepsItsRow) {
  FakeNvml fake(scenario({shared_card()}, {{{"call", "nvmlSystemGetProcessName"}, {"code", 4}}}));
  ManualClock clock;
  NvmlSource source(with_processes(fake.options(clock)));
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  ASSERT_EQ(source.processes().size(), 2u);
  EXPECT_EQ(source.processes()[0].name, "");
  EXPECT_EQ(source.processes()[0].sm_util_pct, 10.0);
}

TEST(NvmlProcesses, ALostGpuDuringTheProcessListIsFoundAgain) {
  FakeNvml fake(scenario({shared_card()}, {{{"call", "nvmlDeviceGetComputeRunningProcesses_v3"},
                                            {"code", 15},
                                            {"from_tick", 1},
                                            {"to_tick", 2}}}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  std::vector<std::string> events;
  NvmlSource source(with_processes(fake.options(clock, &events)));
  Frame frame;
  ASSERT_TRUE(source.next(frame));  // tick 0
  ASSERT_TRUE(source.next(frame));  // tick 1 is lost; tick 2 found again
  EXPECT_DOUBLE_EQ(frame.timestamp_s, 1767225602.0);
  EXPECT_EQ(source.rediscoveries(), 1u);
  ASSERT_EQ(source.processes().size(), 2u);
  // The newest sample read before the loss is remembered: tick 2 averages the samples of ticks 1
  // and 2 (30, 50), never reported, but not tick 0's (10), reported before the loss.
  EXPECT_EQ(source.processes()[0].sm_util_pct, 40.0);
  EXPECT_FALSE(events.empty());
}

TEST(NvmlProcesses, OffByDefault) {
  FakeNvml fake(scenario({shared_card()}));
  ManualClock clock;
  NvmlSource source(fake.options(clock));
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  ASSERT_TRUE(source.next(frame));
  EXPECT_TRUE(source.processes().empty());
  EXPECT_EQ(fake.calls("nvmlDeviceGetComputeRunningProcesses_v3"), 0u);
  EXPECT_EQ(fake.calls("nvmlDeviceGetProcessUtilization"), 0u);
}

TEST(NvmlProcesses, ADriverWithoutTheFunctionsStillRecordsFrames) {
  FakeNvml fake(scenario({shared_card()}), MIGPOWER_FAKE_NVML_MINIMAL);
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  std::vector<std::string> events;
  NvmlSource source(with_processes(fake.options(clock, &events)));
  Frame frame;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(source.next(frame));
    EXPECT_DOUBLE_EQ(*frame.power_w, 100.0 + 10.0 * i);
    EXPECT_TRUE(source.processes().empty());
  }
  const SourceReport report = source.report();
  const CardReport& card = report.cards.at(0);
  for (const char* name : {"processes (whole GPU)", "per-process utilization"}) {
    const FieldProvision& item = process_item(card, name);
    EXPECT_FALSE(item.provided) << name;
    EXPECT_NE(item.detail.find("missing from"), std::string::npos) << item.detail;
  }
  ASSERT_FALSE(report.notes.empty());
  EXPECT_NE(report.notes[0].find("nvmlDeviceGetProcessUtilization"), std::string::npos);
}

}  // namespace
}  // namespace migpower
