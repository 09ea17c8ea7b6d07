#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/run_command.hpp"

namespace migpower {
namespace {

using test::read_file;
using test::run_migpower;

class ReportCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-report-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // The report as JSON, checked to have succeeded.
  nlohmann::json report_json(const std::string& arguments) {
    const auto result = run_migpower("report " + arguments + " --format json");
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out);
  }

  std::filesystem::path dir_;
};

double groups_energy_j(const nlohmann::json& report) {
  double sum = 0.0;
  for (const auto& group : report["groups"]) sum += group["energy_j"].get<double>();
  return sum;
}

TEST_F(ReportCommandTest, GroupEnergiesSumToTheCardsMeasuredEnergyAsAttributeMeasuresIt) {
  const auto attributed =
      run_migpower("attribute --scenario mixed --duration 300 --idle-policy none --format json");
  ASSERT_EQ(attributed.exit_code, 0) << attributed.err;
  const double measured_j =
      nlohmann::json::parse(attributed.out)["cards"][0]["energy_j"].get<double>();
  for (const std::string grouping : {"instance", "tenant", "gpu"}) {
    const nlohmann::json report =
        report_json("--scenario mixed --duration 300 --idle-policy none --group-by " + grouping);
    EXPECT_EQ(report["group_by"], grouping);
    EXPECT_NEAR(report["energy_j"].get<double>(), measured_j, 1e-6 * measured_j);
    EXPECT_NEAR(groups_energy_j(report), measured_j, 1e-6 * measured_j) << grouping;
  }
}

TEST_F(ReportCommandTest, TenantsAreWorkloadLabels) {
  const nlohmann::json report = report_json("--scenario mixed --duration 120");
  ASSERT_GE(report["groups"].size(), 2u);
  for (const auto& group : report["groups"]) {
    EXPECT_FALSE(group["group"].get<std::string>().empty());
    EXPECT_FALSE(group["members"].empty());
  }
  EXPECT_EQ(report["method"], "online");
  EXPECT_TRUE(report["energy_sd_j"].is_number()) << "online gives an uncertainty";
}

TEST_F(ReportCommandTest, CarbonPriceAndSciFollowTheFlags) {
  const nlohmann::json report = report_json(
      "--scenario mixed --duration 120 --carbon-intensity 200 --market-carbon-intensity 20 "
      "--price 0.5 --currency EUR --embodied-kgco2e 1500 --lifetime-years 5");
  const double kwh = report["energy_j"].get<double>() / 3.6e6;
  EXPECT_NEAR(report["carbon_g"].get<double>(), kwh * 200.0, 1e-9);
  EXPECT_NEAR(report["market_carbon_g"].get<double>(), kwh * 20.0, 1e-9);
  EXPECT_NEAR(report["cost"].get<double>(), kwh * 0.5, 1e-12);
  EXPECT_EQ(report["carbon_source"], "200 g CO2e/kWh (--carbon-intensity)");
  for (const auto& group : report["groups"]) {
    EXPECT_GT(group["embodied_g"].get<double>(), 0.0);
    EXPECT_NEAR(group["sci_g"].get<double>(),
                group["carbon_g"].get<double>() + group["embodied_g"].get<double>(), 1e-9);
  }
}

TEST_F(ReportCommandTest, ThePeriodLimitsTheFrames) {
  const std::string trace = path("mixed.csv");
  ASSERT_EQ(run_migpower("simulate --scenario mixed --duration 600 --out " + trace).exit_code, 0);
  const nlohmann::json whole = report_json(trace);
  const nlohmann::json all = report_json(trace + " --from 0");
  EXPECT_EQ(all["frames"], whole["frames"]);
  // A period of one instant: one frame, which closes no interval.
  const std::string from = whole["from"].get<std::string>();
  const nlohmann::json part = report_json(trace + " --from " + from + " --to " + from);
  EXPECT_EQ(part["frames"], 1);
  EXPECT_EQ(part["energy_j"], 0.0);
  EXPECT_EQ(run_migpower("report " + trace + " --from tomorrow").exit_code, 2);
  EXPECT_EQ(run_migpower("report " + trace + " --from 2000 --to 1000").exit_code, 2);
  // A period the trace does not reach is bad input, not an empty report.
  EXPECT_EQ(run_migpower("report " + trace + " --to 1000 --format csv").exit_code, 1);
}

TEST_F(ReportCommandTest, CsvHasOneRowPerGroupOfTheJson) {
  const auto csv = run_migpower("report --scenario mixed --duration 120 --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  const nlohmann::json json = report_json("--scenario mixed --duration 120");
  std::size_t lines = 0;
  for (const char c : csv.out) lines += c == '\n' ? 1 : 0;
  EXPECT_EQ(lines, json["groups"].size() + 1);
  EXPECT_EQ(csv.out.rfind("group_by,group,members,instants,energy_kwh,", 0), 0u);
}

TEST_F(ReportCommandTest, WritesOneHtmlFile) {
  const std::string out = path("report.html");
  const auto result = run_migpower("report --scenario mixed --duration 120 --out " + out);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string html = read_file(out);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("id=\"migpower-data\""), std::string::npos);
  EXPECT_NE(html.find("class=\"groups\""), std::string::npos);
}

TEST_F(ReportCommandTest, RefusesWhatItCannotRead) {
  // A ledger that is not there: bad input, named.
  const auto missing = run_migpower("report node.sqlite");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no ledger file node.sqlite"), std::string::npos);
  const auto unreachable = run_migpower("report postgresql://migpower:secret@127.0.0.1:1/x");
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("postgresql://migpower:***@127.0.0.1:1/x"), std::string::npos);
  EXPECT_EQ(unreachable.err.find("secret"), std::string::npos);
  EXPECT_EQ(run_migpower("report --scenario mixed --group-by pod").exit_code, 2);
  EXPECT_EQ(run_migpower("report --scenario mixed --format pdf").exit_code, 2);
  EXPECT_EQ(run_migpower("report --scenario mixed --carbon-intensity -5").exit_code, 2);
  EXPECT_EQ(run_migpower("report " + path("missing.csv")).exit_code, 1);
}

TEST_F(ReportCommandTest, EvaluateDrawsEachMethodAgainstTheTruth) {
  const std::string out = path("evaluate.html");
  const auto result = run_migpower(
      "evaluate --scenario mixed --duration 300 --warmup 60 --compare --format html --out " + out);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto json =
      run_migpower("evaluate --scenario mixed --duration 300 --warmup 60 --compare --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const nlohmann::json methods = nlohmann::json::parse(json.out);
  const std::string html = read_file(out);
  for (const auto& method : methods) {
    const std::string name = method["method"].get<std::string>();
    EXPECT_NE(html.find("<section class=\"method\" data-method=\"" + name + "\">"),
              std::string::npos)
        << name;
  }
  // A time plot and an error histogram per method.
  const std::string last = "data-plot=\"" + std::to_string(2 * methods.size() - 1) + "\"";
  EXPECT_NE(html.find(last), std::string::npos);
  EXPECT_EQ(html.find("data-plot=\"" + std::to_string(2 * methods.size()) + "\""),
            std::string::npos);
}

}  // namespace
}  // namespace migpower
