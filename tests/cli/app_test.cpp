#include "cli/app.hpp"

#include <gtest/gtest.h>

#include <cmath>
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

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-cli-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A short simulated trace of the mixed scenario.
  std::string simulate(const std::string& scenario = "mixed", int seconds = 60) {
    const std::string trace = path(scenario + ".csv");
    const auto result = run_migpower("simulate --scenario " + scenario + " --duration " +
                                     std::to_string(seconds) + " --seed 7 --out " + trace);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return trace;
  }

  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path(name)) << text;
  }

  std::filesystem::path dir_;
};

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
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

TEST_F(CliTest, HelpListsEveryCommandAndExitsZero) {
  const auto result = run_migpower("--help");
  EXPECT_EQ(result.exit_code, 0);
  for (const char* command : {"demo", "simulate", "attribute", "evaluate"}) {
    EXPECT_NE(result.out.find(command), std::string::npos) << command;
  }
  for (const char* command : {"simulate", "attribute", "evaluate", "demo"}) {
    const auto sub = run_migpower(std::string(command) + " --help");
    EXPECT_EQ(sub.exit_code, 0) << command;
    EXPECT_NE(sub.out.find("--"), std::string::npos) << command;
  }
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(run_migpower("").exit_code, 2);
  EXPECT_EQ(run_migpower("frobnicate").exit_code, 2);
  EXPECT_EQ(run_migpower("attribute").exit_code, 2);  // no input at all
  EXPECT_EQ(run_migpower("attribute --scenario mixed --method magic").exit_code, 2);
  EXPECT_EQ(run_migpower("attribute --scenario mixed --format xml").exit_code, 2);
  const auto both = run_migpower("attribute x.csv --scenario mixed");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("not both"), std::string::npos);
}

TEST_F(CliTest, SimulateListsScenarios) {
  const auto result = run_migpower("simulate --list");
  ASSERT_EQ(result.exit_code, 0);
  for (const char* name : {"single", "seven-1g", "mixed", "capped", "h100-mix"}) {
    EXPECT_NE(result.out.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(run_migpower("simulate --scenario nope").exit_code, 1);
}

TEST_F(CliTest, AttributeCsvConservesMeasuredPowerEveryFrame) {
  const std::string trace = simulate();
  for (const char* policy : {"slices", "active", "none"}) {
    const auto result =
        run_migpower("attribute " + trace + " --format csv --idle-policy " + std::string(policy));
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto rows = parse_csv(result.out);
    ASSERT_GT(rows.size(), 1u);
    const auto& header = rows.front();
    std::map<std::string, std::size_t> col;
    for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
    for (const char* name : {"timestamp", "gpu_uuid", "gpu_i_id", "gpu_i_profile", "power_w",
                             "static_w", "dynamic_w", "method", "card_power_w", "unattributed_w"}) {
      ASSERT_TRUE(col.count(name)) << name;
    }
    std::map<std::string, double> sum_by_time;
    std::map<std::string, double> card_by_time;
    for (std::size_t r = 1; r < rows.size(); ++r) {
      const auto& row = rows[r];
      const double power = std::stod(row[col["power_w"]]);
      EXPECT_GE(power, 0.0);
      EXPECT_NEAR(power, std::stod(row[col["static_w"]]) + std::stod(row[col["dynamic_w"]]),
                  0.0015);
      sum_by_time[row[col["timestamp"]]] += power;
      card_by_time[row[col["timestamp"]]] =
          std::stod(row[col["card_power_w"]]) - std::stod(row[col["unattributed_w"]]);
    }
    EXPECT_EQ(sum_by_time.size(), 60u);   // one frame per simulated second
    EXPECT_EQ(rows.size() - 1, 60u * 4);  // four instances in the mixed scenario
    for (const auto& [time, sum] : sum_by_time) {
      EXPECT_NEAR(sum, card_by_time[time], 0.005) << time;  // milliwatt rounding of 4 shares
    }
  }
}

TEST_F(CliTest, AttributeTableEndsWithEnergyThatSumsToTheCard) {
  const std::string trace = simulate();
  const auto table = run_migpower("attribute " + trace);
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("energy Wh"), std::string::npos);
  EXPECT_NE(table.out.find("3g.20gb"), std::string::npos);

  const auto json_result =
      run_migpower("attribute " + trace + " --format json --out " + path("energy.json"));
  ASSERT_EQ(json_result.exit_code, 0) << json_result.err;
  const auto doc = nlohmann::json::parse(test::read_file(path("energy.json")));
  ASSERT_EQ(doc["cards"].size(), 1u);
  const auto& card = doc["cards"][0];
  double sum = card["unattributed_j"].get<double>();
  for (const auto& instance : card["instances"]) sum += instance["energy_j"].get<double>();
  EXPECT_GT(card["energy_j"].get<double>(), 0.0);
  EXPECT_NEAR(sum, card["energy_j"].get<double>(), 1e-6 * card["energy_j"].get<double>());
}

TEST_F(CliTest, EvaluateSaysWhenTheWarmupCoversTheWholeTrace) {
  const std::string trace = simulate();  // shorter than the default 120 s warm-up
  const auto result = run_migpower("evaluate " + trace);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("--warmup"), std::string::npos) << result.err;
}

TEST_F(CliTest, EvaluateReportsErrorsAndZeroAggregateError) {
  const std::string trace = simulate();
  const auto result = run_migpower("evaluate " + trace + " --compare --warmup 0 --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto doc = nlohmann::json::parse(result.out);
  ASSERT_GE(doc.size(), 3u);  // every method that needs no model file
  for (const auto& report : doc) {
    EXPECT_LT(report["aggregate_error_pct"].get<double>(), 1e-6);
    ASSERT_EQ(report["instances"].size(), 4u);
    for (const auto& instance : report["instances"]) {
      EXPECT_GE(instance["mape_pct"].get<double>(), 0.0);
      EXPECT_GE(instance["rmse_w"].get<double>(), instance["mae_w"].get<double>() - 1e-9);
    }
    EXPECT_GT(report["wape_pct"].get<double>(), 0.0);  // the baselines are not exact
  }
  const auto table = run_migpower("evaluate --scenario mixed --duration 180 --method slices");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("MAPE"), std::string::npos);
  EXPECT_NE(table.out.find("WAPE"), std::string::npos);
}

TEST_F(CliTest, BadTraceNamesFileLineAndColumnOrIsSkippedWhenLenient) {
  const std::string header =
      "timestamp,gpu_uuid,gpu_model,gpu_i_id,gpu_i_profile,DCGM_FI_DEV_POWER_USAGE,"
      "DCGM_FI_PROF_GR_ENGINE_ACTIVE\n";
  write("bad.csv", header +
                       "1.0,GPU-a,NVIDIA A100-SXM4-40GB,,,100,\n"
                       "1.0,GPU-a,NVIDIA A100-SXM4-40GB,1,3g.20gb,,0.5\n"
                       "2.0,GPU-a,NVIDIA A100-SXM4-40GB,,,abc,\n"
                       "2.0,GPU-a,NVIDIA A100-SXM4-40GB,1,3g.20gb,,0.5\n"
                       "3.0,GPU-a,NVIDIA A100-SXM4-40GB,,,120,\n"
                       "3.0,GPU-a,NVIDIA A100-SXM4-40GB,1,3g.20gb,,0.7\n");
  const auto strict = run_migpower("attribute " + path("bad.csv"));
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.err.find("bad.csv:4"), std::string::npos) << strict.err;
  EXPECT_NE(strict.err.find("DCGM_FI_DEV_POWER_USAGE"), std::string::npos) << strict.err;

  const auto lenient = run_migpower("attribute " + path("bad.csv") + " --lenient --format json");
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  EXPECT_NE(lenient.err.find("skipped"), std::string::npos) << lenient.err;
  const auto doc = nlohmann::json::parse(lenient.out);
  EXPECT_EQ(doc["cards"][0]["frames"].get<int>(), 2);
}

TEST_F(CliTest, EvaluateWithoutTruthIsBadInput) {
  write("notruth.csv",
        "timestamp,gpu_uuid,gpu_model,gpu_i_id,gpu_i_profile,DCGM_FI_DEV_POWER_USAGE\n"
        "1.0,GPU-a,NVIDIA A100-SXM4-40GB,,,100\n"
        "1.0,GPU-a,NVIDIA A100-SXM4-40GB,1,3g.20gb,\n");
  const auto result = run_migpower("evaluate " + path("notruth.csv"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("truth_power_w"), std::string::npos);
  EXPECT_EQ(run_migpower("attribute " + path("missing.csv")).exit_code, 1);
}

TEST_F(CliTest, DemoPrintsTheEnergyTable) {
  const auto result = run_migpower("demo");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("energy Wh"), std::string::npos);
  EXPECT_NE(result.out.find("MAPE"), std::string::npos);
}

TEST_F(CliTest, ExperimentBaselinesPrintsOneMarkdownRowPerMethod) {
  const auto result =
      run_migpower("experiment baselines --scenario mixed capped --duration 120 --seed 4");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::size_t rows = 0;
  std::istringstream lines(result.out);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("| mixed | 4 |") || line.starts_with("| capped | 4 |")) ++rows;
  }
  EXPECT_EQ(rows, 6u);  // two scenarios x three baselines
  EXPECT_EQ(run_migpower("experiment nope").exit_code, 2);
  EXPECT_EQ(run_migpower("experiment baselines --idle-policy odd").exit_code, 2);
}

TEST(CliInProcess, RunReturnsUsageCodeForUnknownOption) {
  std::vector<std::string> words = {"migpower", "attribute", "--no-such-flag"};
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  EXPECT_EQ(cli::run(static_cast<int>(argv.size()), argv.data()), 2);
}

}  // namespace
}  // namespace migpower
