// `migpower record --source nvml` and `migpower sources` end to end, on the fake NVML library
// (tests/fakes/fake_nvml.cpp) with a MIG layout, then `migpower attribute` on the recording.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_command.hpp"

namespace migpower {
namespace {

using test::run_migpower;

// An A100-40GB split 3g.20gb + 2g.10gb + 1g.5gb whose power changes every 0.1 s of wall time.
constexpr const char* kScenario = R"({
  "wall_clock": true, "tick_seconds": 0.1,
  "devices": [{
    "uuid": "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "name": "NVIDIA A100-SXM4-40GB",
    "power_mw": [180000, 220000, 260000, 240000], "energy_start_mj": 1000000,
    "power_limit_mw": 400000, "sm_clock_mhz": 1410, "mem_clock_mhz": 1215,
    "temperature_c": [40, 41], "memory_used_mib": 10,
    "mig_layouts": [{"instances": [
      {"slot": 0, "gi": 1, "profile": "3g.20gb", "gi_slices": 3, "fb_used_mib": [1000, 1200]},
      {"slot": 2, "gi": 5, "profile": "2g.10gb", "gi_slices": 2, "fb_used_mib": 500},
      {"slot": 6, "gi": 13, "profile": "1g.5gb", "gi_slices": 1, "fb_used_mib": [0, 300]}]}]
  }]})";

class RecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-record-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(path("scenario.json")) << kScenario;
    ::setenv("MIGPOWER_NVML_LIBRARY", MIGPOWER_FAKE_NVML, 1);
    ::setenv("MIGPOWER_FAKE_NVML_SCENARIO", path("scenario.json").c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("MIGPOWER_NVML_LIBRARY");
    ::unsetenv("MIGPOWER_FAKE_NVML_SCENARIO");
    std::filesystem::remove_all(dir_);
  }

  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Runs migpower under `timeout`, which sends `signal` after `seconds`; the exit status is the
  // recorder's own (or 128 + signal when it was killed).
  [[nodiscard]] int run_until_signal(const std::string& signal, double seconds,
                                     const std::string& arguments) const {
    const std::string command = "timeout --preserve-status -s " + signal + " " +
                                std::to_string(seconds) + " " + MIGPOWER_BINARY + " " + arguments +
                                " >" + path("out.txt") + " 2>" + path("err.txt");
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::filesystem::path dir_;
};

std::vector<std::vector<std::string>> csv_rows(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream cell_stream(line);
    for (std::string cell; std::getline(cell_stream, cell, ',');) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    rows.push_back(cells);
  }
  return rows;
}

// Every frame's shares add up to the measured power, and the instances' energy (plus what is
// left unattributed) to the card's.
void expect_energy_conserved(const std::string& trace) {
  const auto csv = run_migpower("attribute " + trace + " --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const auto rows = csv_rows(csv.out);
  ASSERT_GT(rows.size(), 1u);
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < rows[0].size(); ++i) col[rows[0][i]] = i;
  std::map<std::string, double> sum;
  std::map<std::string, double> card;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    sum[row[col["timestamp"]]] += std::stod(row[col["power_w"]]);
    card[row[col["timestamp"]]] =
        std::stod(row[col["card_power_w"]]) - std::stod(row[col["unattributed_w"]]);
  }
  for (const auto& [time, watts] : sum) EXPECT_NEAR(watts, card[time], 0.005) << time;

  const auto json = run_migpower("attribute " + trace + " --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc["cards"].size(), 1u);
  const auto& report = doc["cards"][0];
  double total = report["unattributed_j"].get<double>();
  for (const auto& instance : report["instances"]) total += instance["energy_j"].get<double>();
  EXPECT_GT(report["energy_j"].get<double>(), 0.0);
  EXPECT_NEAR(total, report["energy_j"].get<double>(), 1e-6 * report["energy_j"].get<double>());
  EXPECT_EQ(report["instances"].size(), 3u);
}

TEST_F(RecordTest, RecordsAFakeMigCardThatAttributeSplitsConservingEnergy) {
  const std::string trace = path("live.csv");
  const auto result =
      run_migpower("record --source nvml --interval 100ms --duration 1s --out " + trace);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("recorded"), std::string::npos) << result.err;
  const auto rows = csv_rows(test::read_file(trace));
  ASSERT_GE(rows.size(), 1u + 3 * 4);   // header, then at least 3 frames of card + 3 instances
  EXPECT_LE(rows.size(), 1u + 10 * 4);  // 1 s at 100 ms: at most 10 frames
  EXPECT_EQ((rows.size() - 1) % 4, 0u);
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < rows[0].size(); ++i) col[rows[0][i]] = i;
  EXPECT_EQ(rows[1][col["gpu_model"]], "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(rows[1][col["DCGM_FI_DEV_POWER_MGMT_LIMIT"]], "400");
  EXPECT_EQ(rows[2][col["gpu_i_id"]], "1");
  EXPECT_EQ(rows[2][col["gpu_i_profile"]], "3g.20gb");
  EXPECT_EQ(rows[4][col["gpu_i_profile"]], "1g.5gb");
  expect_energy_conserved(trace);
}

TEST_F(RecordTest, SourcesListsTheCardItsLayoutAndTheFieldsNvmlProvides) {
  const auto result = run_migpower("sources");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  for (const char* text :
       {"nvml: available (driver 550.54.15", "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "MIG on",
        "3g.20gb", "2g.10gb", "1g.5gb", "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
        "nvmlDeviceGetTotalEnergyConsumption", "GPM not supported by this GPU",
        "which source provides each field"}) {
    EXPECT_NE(result.out.find(text), std::string::npos) << text << "\n" << result.out;
  }
}

TEST_F(RecordTest, WithoutTheDriverSourcesSaysWhyAndRecordFails) {
  ::setenv("MIGPOWER_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
  const auto sources = run_migpower("sources");
  EXPECT_EQ(sources.exit_code, 0);
  EXPECT_NE(sources.out.find("nvml: unavailable (/nonexistent/libnvidia-ml.so.1 not found (no "
                             "NVIDIA driver?)"),
            std::string::npos)
      << sources.out;
  const auto record = run_migpower("record --source nvml --duration 1s --out " + path("x.csv"));
  EXPECT_EQ(record.exit_code, 1);
  EXPECT_NE(record.err.find("not found (no NVIDIA driver?)"), std::string::npos) << record.err;
  EXPECT_FALSE(std::filesystem::exists(path("x.csv")));  // no empty trace left behind
}

TEST_F(RecordTest, BadCommandLinesAreUsageErrors) {
  const std::string out = " --out " + path("x.csv");
  EXPECT_EQ(run_migpower("record --source nvml --interval 5x" + out).exit_code, 2);
  EXPECT_EQ(run_migpower("record --source nvml --duration -1s" + out).exit_code, 2);
  EXPECT_EQ(run_migpower("record --source nvml --power peak" + out).exit_code, 2);
  EXPECT_EQ(run_migpower("record --source nvml=/lib" + out).exit_code, 2);
  EXPECT_EQ(run_migpower("record --source dcgm-exporter" + out).exit_code, 2);  // no URL
  const auto unknown = run_migpower("record --source smi" + out);
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("is not a live source"), std::string::npos) << unknown.err;
  EXPECT_EQ(run_migpower("record --source nvml").exit_code, 2);  // no --out
  EXPECT_FALSE(std::filesystem::exists(path("x.csv")));
}

TEST_F(RecordTest, SigintStopsTheRecordingCleanly) {
  const std::string trace = path("interrupted.csv");
  const int code =
      run_until_signal("INT", 0.8, "record --source nvml --interval 100ms --out " + trace);
  EXPECT_EQ(code, 0) << test::read_file(path("err.txt"));
  EXPECT_NE(test::read_file(path("err.txt")).find("stopped by signal"), std::string::npos);
  expect_energy_conserved(trace);
}

TEST_F(RecordTest, KilledRecorderLeavesAReadableTrace) {
  const std::string trace = path("killed.csv");
  const int code =
      run_until_signal("KILL", 0.8, "record --source nvml --interval 100ms --out " + trace);
  EXPECT_EQ(code, 128 + SIGKILL);
  const std::string text = test::read_file(trace);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');    // every frame was flushed whole
  expect_energy_conserved(trace);  // strict reading: no partial row
}

}  // namespace
}  // namespace migpower
