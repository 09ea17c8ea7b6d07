// `migpower record --processes` and the per-process lines of `migpower sources`, end to end
// through the real binary on the fake NVML library (tests/fakes/fake_nvml.cpp).

#include <gtest/gtest.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "cli/run_command.hpp"
#include "trace/csv_split.hpp"
#include "trace/process_writer.hpp"

namespace migpower {
namespace {

using test::run_migpower;

// A full A100 time-sliced between two processes (one with a comma in its name), and the same
// card in MIG mode with a process in each of two instances; both tick every 0.1 s of wall time.
constexpr const char* kFullScenario = R"({
  "wall_clock": true, "tick_seconds": 0.1,
  "devices": [{
    "uuid": "GPU-11111111-2222-3333-4444-555555555555", "name": "NVIDIA A100-SXM4-40GB",
    "power_mw": [180000, 220000], "energy_start_mj": 1000000, "memory_used_mib": 3072,
    "utilization_gpu": 80,
    "processes": [
      {"pid": 1001, "name": "python3", "used_memory_mib": 1024, "sm_util": [30, 50],
       "mem_util": 10},
      {"pid": 1002, "name": "serve, v2", "used_memory_mib": 2048, "sm_util": 40,
       "mem_util": [5, 15]}]
  }]})";

constexpr const char* kMigScenario = R"({
  "wall_clock": true, "tick_seconds": 0.1,
  "devices": [{
    "uuid": "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "name": "NVIDIA A100-SXM4-40GB",
    "power_mw": [180000, 220000], "energy_start_mj": 1000000, "memory_used_mib": 10,
    "mig_layouts": [{"instances": [
      {"slot": 0, "gi": 1, "profile": "3g.20gb", "gi_slices": 3, "fb_used_mib": 1000},
      {"slot": 6, "gi": 13, "profile": "1g.5gb", "gi_slices": 1, "fb_used_mib": 300}]}],
    "processes": [
      {"pid": 2001, "name": "train", "gi": 1, "used_memory_mib": 900, "sm_util": 70},
      {"pid": 2013, "name": "infer", "gi": 13, "used_memory_mib": 250}]
  }]})";

class RecordProcessesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-processes-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    use_scenario(kFullScenario);
    ::setenv("MIGPOWER_NVML_LIBRARY", MIGPOWER_FAKE_NVML, 1);
  }
  void TearDown() override {
    ::unsetenv("MIGPOWER_NVML_LIBRARY");
    ::unsetenv("MIGPOWER_FAKE_NVML_SCENARIO");
    std::filesystem::remove_all(dir_);
  }

  void use_scenario(const char* json) const {
    std::ofstream(path("scenario.json")) << json;
    ::setenv("MIGPOWER_FAKE_NVML_SCENARIO", path("scenario.json").c_str(), 1);
  }

  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

// The records of a CSV file (a quoted cell may hold a comma), split as the trace reader does.
std::vector<std::vector<std::string>> read_csv(const std::string& file) {
  const std::string text = test::read_file(file);
  std::vector<std::vector<std::string>> rows;
  std::array<std::string_view, 64> cells{};
  std::string scratch;
  std::string_view rest(text);
  while (!rest.empty()) {
    std::size_t end = 0;
    bool quoted = false;
    while (end < rest.size() && (quoted || rest[end] != '\n')) quoted ^= rest[end++] == '"';
    const CsvSplit split = split_csv_record(rest.substr(0, end), cells, scratch);
    EXPECT_TRUE(split.error.empty()) << split.error;
    rows.emplace_back(cells.begin(), cells.begin() + static_cast<std::ptrdiff_t>(split.cells));
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  return rows;
}

std::map<std::string, std::size_t> columns(const std::vector<std::string>& header) {
  std::map<std::string, std::size_t> out;
  for (std::size_t i = 0; i < header.size(); ++i) out[header[i]] = i;
  return out;
}

// The timestamps of the trace's card rows.
std::set<std::string> frame_times(const std::string& trace) {
  const auto rows = read_csv(trace);
  auto col = columns(rows.at(0));
  std::set<std::string> times;
  for (std::size_t r = 1; r < rows.size(); ++r) times.insert(rows[r][col["timestamp"]]);
  return times;
}

TEST_F(RecordProcessesTest, FullGpuWritesEachProcessOfEachFrameToTheSideFile) {
  const std::string trace = path("trace.csv");
  const std::string side = path("processes.csv");
  const auto result = run_migpower("record --source nvml --interval 100ms --duration 1s --out " +
                                   trace + " --processes " + side);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("process rows to " + side), std::string::npos) << result.err;
  const std::set<std::string> times = frame_times(trace);
  ASSERT_GE(times.size(), 3u);
  // The trace is the contract's, with no process column.
  EXPECT_EQ(test::read_file(trace).find("pid"), std::string::npos);

  const auto rows = read_csv(side);
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(test::read_file(side).substr(0, ProcessWriter::kHeader.size()), ProcessWriter::kHeader);
  auto col = columns(rows[0]);
  ASSERT_EQ(col.size(), 8u);
  EXPECT_EQ(rows.size(), 1u + 2u * times.size());  // both processes run in every frame
  std::map<std::string, std::size_t> per_frame;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    ASSERT_EQ(row.size(), 8u) << r;
    EXPECT_TRUE(times.contains(row[col["timestamp"]])) << row[col["timestamp"]];
    ++per_frame[row[col["timestamp"]]];
    EXPECT_EQ(row[col["gpu_uuid"]], "GPU-11111111-2222-3333-4444-555555555555");
    EXPECT_EQ(row[col["gpu_i_id"]], "");  // a full GPU
    const std::string& pid = row[col["pid"]];
    ASSERT_TRUE(pid == "1001" || pid == "1002") << pid;
    EXPECT_EQ(row[col["process_name"]], pid == "1001" ? "python3" : "serve, v2");
    EXPECT_EQ(row[col["used_memory_bytes"]], pid == "1001" ? "1073741824" : "2147483648");
    // Empty when the driver took no new sample between two frames; else a percentage.
    if (const std::string& sm = row[col["sm_util_pct"]]; !sm.empty()) {
      EXPECT_GE(std::stod(sm), 30.0);
      EXPECT_LE(std::stod(sm), 50.0);
    }
  }
  for (const auto& [time, count] : per_frame) EXPECT_EQ(count, 2u) << time;
  // Over a second at least one frame saw new samples.
  bool any_utilization = false;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    any_utilization = any_utilization || !rows[r][col["sm_util_pct"]].empty();
  }
  EXPECT_TRUE(any_utilization);
}

TEST_F(RecordProcessesTest, MigCardWritesEachProcessWithItsGpuInstance) {
  use_scenario(kMigScenario);
  const std::string side = path("processes.csv");
  const auto result = run_migpower("record --source nvml --interval 100ms --duration 500ms --out " +
                                   path("trace.csv") + " --processes " + side);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto rows = read_csv(side);
  ASSERT_GE(rows.size(), 1u + 2u * 2u);
  auto col = columns(rows[0]);
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    EXPECT_EQ(row[col["gpu_i_id"]], row[col["pid"]] == "2001" ? "1" : "13");
    EXPECT_EQ(row[col["sm_util_pct"]], "");  // not offered with MIG on
    EXPECT_EQ(row[col["mem_util_pct"]], "");
  }
}

TEST_F(RecordProcessesTest, SourcesSaysWhatPerProcessDataEachCardOffers) {
  const auto full = run_migpower("sources");
  ASSERT_EQ(full.exit_code, 0) << full.err;
  EXPECT_NE(full.out.find("per process (record --processes"), std::string::npos) << full.out;
  for (const char* line : {"processes (whole GPU)", "per-process utilization"}) {
    const std::size_t at = full.out.find(line);
    ASSERT_NE(at, std::string::npos) << line << "\n" << full.out;
    EXPECT_NE(full.out.substr(at, full.out.find('\n', at) - at).find(" yes "), std::string::npos)
        << full.out;
  }
  use_scenario(kMigScenario);
  const auto mig = run_migpower("sources");
  ASSERT_EQ(mig.exit_code, 0) << mig.err;
  const std::size_t map = mig.out.find("processes by GPU instance");
  ASSERT_NE(map, std::string::npos) << mig.out;
  EXPECT_NE(mig.out.substr(map, mig.out.find('\n', map) - map).find(" yes "), std::string::npos);
  const std::size_t utilization = mig.out.find("per-process utilization");
  ASSERT_NE(utilization, std::string::npos) << mig.out;
  const std::string line =
      mig.out.substr(utilization, mig.out.find('\n', utilization) - utilization);
  EXPECT_NE(line.find(" no "), std::string::npos) << line;
  EXPECT_NE(line.find("not supported"), std::string::npos) << line;
  EXPECT_NE(line.find("MIG on"), std::string::npos) << line;
}

TEST_F(RecordProcessesTest, ADriverWithoutTheFunctionsStillRecordsTheTrace) {
  ::setenv("MIGPOWER_NVML_LIBRARY", MIGPOWER_FAKE_NVML_MINIMAL, 1);
  const std::string trace = path("trace.csv");
  const std::string side = path("processes.csv");
  const auto result = run_migpower("record --source nvml --interval 100ms --duration 500ms --out " +
                                   trace + " --processes " + side);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GE(frame_times(trace).size(), 2u);
  EXPECT_EQ(test::read_file(side), std::string(ProcessWriter::kHeader) + "\n");
}

TEST_F(RecordProcessesTest, ProcessesWithAnotherSourceOrNoFileOfItsOwnIsAUsageError) {
  const std::string out = " --out " + path("x.csv");
  const auto exporter =
      run_migpower("record --source dcgm-exporter=http://127.0.0.1:1/metrics --processes " +
                   path("p.csv") + out);
  EXPECT_EQ(exporter.exit_code, 2);
  EXPECT_NE(exporter.err.find("--processes needs --source nvml"), std::string::npos)
      << exporter.err;
  EXPECT_EQ(run_migpower("record --source dcgm --processes " + path("p.csv") + out).exit_code, 2);
  EXPECT_EQ(run_migpower("record --source nvml --processes -" + out).exit_code, 2);
  EXPECT_EQ(run_migpower("record --source nvml --processes " + path("x.csv") + out).exit_code, 2);
  EXPECT_FALSE(std::filesystem::exists(path("x.csv")));
  EXPECT_FALSE(std::filesystem::exists(path("p.csv")));
}

}  // namespace
}  // namespace migpower
