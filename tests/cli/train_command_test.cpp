#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/run_command.hpp"

namespace migpower {
namespace {

using test::read_file;
using test::run_migpower;

class TrainCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-train-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // An isolated 3g instance on an A100 (the simulator's `single` scenario).
  std::string single_trace(int seconds = 900) {
    const std::string trace = path("single.csv");
    const auto result = run_migpower("simulate --scenario single --duration " +
                                     std::to_string(seconds) + " --seed 3 --out " + trace);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return trace;
  }

  std::string train(const std::string& kind, const std::string& extra = "") {
    const std::string model = path(kind + ".json");
    const auto result =
        run_migpower("train " + single_trace() + " --model " + kind + " --out " + model + extra);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return model;
  }

  std::filesystem::path dir_;
};

TEST_F(TrainCommandTest, TrainsEveryKindAndReportsItsErrors) {
  const std::string trace = single_trace();
  for (const char* kind : {"linear", "ridge", "poly2", "gbt"}) {
    const std::string model = path(std::string(kind) + ".json");
    const auto result = run_migpower("train " + trace + " --model " + kind + " --out " + model);
    ASSERT_EQ(result.exit_code, 0) << kind << ": " << result.err;
    EXPECT_NE(result.out.find("rows used       900"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("validation      180 rows"), std::string::npos) << result.out;
    const auto file = nlohmann::json::parse(read_file(model));
    EXPECT_EQ(file.at("kind"), kind);
    EXPECT_EQ(file.at("training").at("gpu_model"), "NVIDIA A100-SXM4-40GB");
    EXPECT_EQ(file.at("training").at("rows"), 900);
    EXPECT_EQ(file.at("training").at("sources").at(0), trace);
    // The simulator's power is a smooth function of the features: every kind follows it to a
    // few watts on the held-out blocks (the card idles at 55 W and peaks near 200 W here).
    EXPECT_LT(file.at("errors").at("validation").at("rmse_w").get<double>(), 6.0) << kind;
  }
}

TEST_F(TrainCommandTest, LambdaAndValidationReachTheModelFile) {
  const std::string model = train("poly2", " --lambda 0.5 --validation 0");
  const auto file = nlohmann::json::parse(read_file(model));
  EXPECT_EQ(file.at("hyperparameters").at("lambda"), 0.5);
  EXPECT_TRUE(file.at("errors").at("validation").is_null());
  EXPECT_EQ(file.at("training").at("validation_rows"), 0);
}

TEST_F(TrainCommandTest, TrainedModelEvaluatesOnAConcurrentScenario) {
  const std::string model = train("ridge");
  const auto one =
      run_migpower("evaluate --scenario mixed --duration 300 --method ridge --model " + model);
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_NE(one.out.find("ridge (ridge.json)"), std::string::npos) << one.out;

  const auto all =
      run_migpower("evaluate --scenario mixed --duration 300 --compare --model " + model);
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("ridge (ridge.json)"), std::string::npos) << all.out;
  EXPECT_NE(all.out.find("slices"), std::string::npos);
  for (const char* other : {"linear (", "poly2 (", "gbt ("}) {
    EXPECT_EQ(all.out.find(other), std::string::npos) << other;  // only the file's own kind
  }
}

TEST_F(TrainCommandTest, ModelsAreRefusedForAnotherGpuKindOrAfterCorruption) {
  const std::string model = train("ridge");
  const auto h100 = run_migpower(
      "evaluate --scenario h100-mix --duration 60 --method ridge "
      "--model " +
      model);
  EXPECT_EQ(h100.exit_code, 1);
  EXPECT_NE(h100.err.find("--force-model"), std::string::npos) << h100.err;
  EXPECT_EQ(run_migpower("evaluate --scenario h100-mix --duration 60 --warmup 0 --method ridge "
                         "--model " +
                         model + " --force-model")
                .exit_code,
            0);

  const auto kind =
      run_migpower("evaluate --scenario mixed --duration 60 --method poly2 --model " + model);
  EXPECT_EQ(kind.exit_code, 1);
  EXPECT_NE(kind.err.find("holds a ridge model, not poly2"), std::string::npos) << kind.err;

  auto document = nlohmann::json::parse(read_file(model));
  document["parameters"]["coefficients"][5] = "five";
  std::ofstream(path("corrupt.json")) << document.dump();
  const auto corrupt = run_migpower(
      "attribute --scenario mixed --duration 60 --method ridge --model " + path("corrupt.json"));
  EXPECT_EQ(corrupt.exit_code, 1);
  EXPECT_NE(corrupt.err.find("corrupt.json"), std::string::npos) << corrupt.err;
  EXPECT_NE(corrupt.err.find("parameters.coefficients[5]"), std::string::npos) << corrupt.err;

  std::ofstream(path("truncated.json")) << read_file(model).substr(0, 100);
  const auto truncated = run_migpower(
      "attribute --scenario mixed --duration 60 --method ridge --model " + path("truncated.json"));
  EXPECT_EQ(truncated.exit_code, 1);
  EXPECT_NE(truncated.err.find("not a JSON model file"), std::string::npos) << truncated.err;
}

TEST_F(TrainCommandTest, TracesWithoutIsolatedFramesAreRefused) {
  const std::string trace = path("mixed.csv");
  ASSERT_EQ(run_migpower("simulate --scenario mixed --duration 60 --out " + trace).exit_code, 0);
  const auto result = run_migpower("train " + trace + " --model ridge --out " + path("m.json"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("no usable frames"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("60 with several instances active"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(path("m.json")));
}

TEST_F(TrainCommandTest, BadFlagsAreUsageErrors) {
  const std::string trace = single_trace(60);
  const std::string out = " --out " + path("m.json");
  EXPECT_EQ(run_migpower("train " + trace + " --model forest" + out).exit_code, 2);
  EXPECT_EQ(run_migpower("train " + trace + " --model linear --lambda 1" + out).exit_code, 2);
  EXPECT_EQ(run_migpower("train " + trace + " --model ridge --lambda 0" + out).exit_code, 2);
  EXPECT_EQ(run_migpower("train " + trace + " --model ridge --validation 0.9" + out).exit_code, 2);
  EXPECT_EQ(
      run_migpower("train " + trace + " --model gbt --hyperparameters '{bad'" + out).exit_code, 2);
  EXPECT_EQ(run_migpower("train " + trace + " --model ridge").exit_code, 2);  // no --out
  EXPECT_EQ(run_migpower("train --model ridge" + out).exit_code, 2);          // no trace
  EXPECT_EQ(run_migpower("train " + path("missing.csv") + " --model ridge" + out).exit_code, 1);
}

}  // namespace
}  // namespace migpower
