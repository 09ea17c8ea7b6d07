#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "cli/run_command.hpp"

namespace migpower {
namespace {

using test::run_migpower;

class PaperExperimentCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-paper-cli-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string simulate(const std::string& scenario, int seconds, int seed) {
    const std::string trace = (dir_ / (scenario + "-" + std::to_string(seed) + ".csv")).string();
    const auto result =
        run_migpower("simulate --scenario " + scenario + " --duration " + std::to_string(seconds) +
                     " --seed " + std::to_string(seed) + " --out " + trace);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return trace;
  }

  std::filesystem::path dir_;
};

// Markdown rows of `text` that start with "| test | setting |".
std::size_t rows_starting(const std::string& text, const std::string& prefix) {
  std::size_t rows = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) rows += line.starts_with(prefix) ? 1 : 0;
  return rows;
}

TEST_F(PaperExperimentCli, RunsOnTheSimulatorWithShortDurations) {
  const auto result = run_migpower(
      "experiment paper --train-duration 300 --duration 200 --warmup 30 --models linear ridge "
      "--scenario full-gpu-memory-bound mixed --seed 5");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const std::string& out = result.out;
  EXPECT_NE(out.find("| linear |"), std::string::npos) << out;  // the training table
  EXPECT_NE(out.find("| ridge |"), std::string::npos) << out;
  const std::size_t concurrent = rows_starting(out, "| mixed | concurrent |");
  EXPECT_EQ(concurrent, rows_starting(out, "| full-gpu-memory-bound | isolated, held-out"));
  EXPECT_GE(concurrent, 6u);  // the baselines, both online methods, linear and ridge
  EXPECT_NE(out.find("| mixed | concurrent | "), std::string::npos);
  EXPECT_NE(out.find("| paper-online |"), std::string::npos);  // the summary table
  EXPECT_EQ(out.find("gbt"), std::string::npos);
}

TEST_F(PaperExperimentCli, RunsUnchangedOnTracesGivenOnTheCommandLine) {
  const std::string a = simulate("full-gpu-gemm-tensor", 300, 1);
  const std::string b = simulate("full-gpu-gemm-fp32", 300, 1);
  const std::string c = simulate("capped", 200, 2);
  const std::string models = (dir_ / "models").string();
  const auto result = run_migpower("experiment paper --train " + a + " " + b + " --test " + c +
                                   " --models linear --warmup 30 --model-dir " + models);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GE(rows_starting(result.out, "| " + c + " | concurrent |"), 6u) << result.out;
  EXPECT_NE(result.out.find(a), std::string::npos);  // the training sources are named
  // The trained model file is kept and usable by evaluate.
  const auto evaluate =
      run_migpower("evaluate " + c + " --warmup 30 --compare --model " + models + "/linear.json");
  ASSERT_EQ(evaluate.exit_code, 0) << evaluate.err;
  EXPECT_NE(evaluate.out.find("\nlinear"), std::string::npos) << evaluate.out;
  EXPECT_NE(evaluate.out.find("\npaper-online"), std::string::npos) << evaluate.out;
}

TEST_F(PaperExperimentCli, MisusedOptionsAreUsageErrors) {
  EXPECT_EQ(run_migpower("experiment paper --train a.csv").exit_code, 2);
  EXPECT_EQ(run_migpower("experiment baselines --train-seed 4").exit_code, 2);
  EXPECT_EQ(run_migpower("experiment paper --seed 1 --train-seed 1 2").exit_code, 2);
  EXPECT_EQ(run_migpower("experiment paper --models linear forest").exit_code, 2);
  const auto missing = run_migpower("experiment paper --train no.csv --test no.csv");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no.csv"), std::string::npos) << missing.err;
}

TEST_F(PaperExperimentCli, EvaluateCompareIsOneTableWithBeforeAndAfterScaling) {
  const auto result =
      run_migpower("evaluate --scenario mixed --duration 200 --warmup 30 --compare");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(rows_starting(result.out, "scenario mixed"), 1u) << result.out;  // one header
  for (const char* method : {"equal ", "slices ", "utilization:", "paper-online ", "online "}) {
    EXPECT_EQ(rows_starting(result.out, method), 1u) << method;
  }
  EXPECT_NE(result.out.find("before"), std::string::npos);
  EXPECT_NE(result.out.find("n/a"), std::string::npos);  // the baselines have no watts
}

}  // namespace
}  // namespace migpower
