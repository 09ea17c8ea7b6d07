#include "eval/paper_experiment.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>

#include "attribution/method_factory.hpp"
#include "core/error.hpp"

namespace migpower {
namespace {

PaperExperimentOptions short_options() {
  PaperExperimentOptions options;
  options.train_scenarios = {"full-gpu-gemm-tensor"};
  options.train_seeds = {1};
  options.train_duration_s = 300.0;
  options.test_scenarios = {"full-gpu-memory-bound", "capped"};
  options.test_seeds = {2};
  options.test_duration_s = 200.0;
  options.warmup_s = 30.0;
  options.model_kinds = {"linear"};
  return options;
}

std::size_t methods_without_model_file() {
  std::size_t n = 0;
  for (const auto& info : attribution_methods()) n += info.needs_model_file ? 0 : 1;
  return n;
}

TEST(PaperExperiment, TrainsOfflineAndScoresEveryMethodOnEveryTest) {
  PaperExperimentOptions options = short_options();
  options.model_dir =
      (std::filesystem::temp_directory_path() / ("migpower-paper-" + std::to_string(::getpid())))
          .string();
  const PaperExperimentResult result = run_paper_experiment(options);

  ASSERT_EQ(result.models.size(), 1u);
  EXPECT_EQ(result.models[0].kind, "linear");
  EXPECT_TRUE(std::filesystem::exists(result.models[0].path));  // kept for `evaluate --model`
  std::filesystem::remove_all(options.model_dir);
  EXPECT_GT(result.models[0].training.rows, 0u);
  ASSERT_TRUE(result.models[0].validation_error.has_value());

  const std::size_t methods = methods_without_model_file() + 1;  // + linear
  ASSERT_EQ(result.rows.size(), 2 * methods);
  for (std::size_t i = 0; i < methods; ++i) {
    const PaperRow& isolated = result.rows[i];
    EXPECT_EQ(isolated.test, "full-gpu-memory-bound");
    EXPECT_EQ(isolated.setting, "isolated, held-out workload");
    EXPECT_TRUE(isolated.isolated);
    EXPECT_EQ(isolated.concurrent_frames_pct, 0.0);
    // One instance gets the whole card whatever the method: after scaling all agree.
    EXPECT_NEAR(isolated.summary.mean_mape_pct, result.rows[0].summary.mean_mape_pct, 1e-9);
    const PaperRow& concurrent = result.rows[methods + i];
    EXPECT_EQ(concurrent.setting, "concurrent");
    EXPECT_GT(concurrent.concurrent_frames_pct, 0.0);
    EXPECT_EQ(concurrent.method, isolated.method);
    EXPECT_LT(concurrent.aggregate_error_pct, 1e-9);
  }
  for (const auto& row : result.rows) {
    const bool gives_watts =
        row.method == "linear" || row.method == "paper-online" || row.method == "online";
    const bool weights =
        row.method == "equal" || row.method == "slices" || row.method.starts_with("utilization");
    if (gives_watts) {
      EXPECT_TRUE(row.aggregate_error_before_pct.has_value()) << row.method;
    }
    if (weights) {
      EXPECT_FALSE(row.aggregate_error_before_pct.has_value()) << row.method;
    }
  }

  std::ostringstream markdown;
  print_paper_markdown(markdown, result);
  const std::string text = markdown.str();
  EXPECT_NE(text.find("| linear |"), std::string::npos) << text;
  EXPECT_NE(text.find("| capped | concurrent |"), std::string::npos) << text;
  EXPECT_NE(text.find("isolated, before"), std::string::npos) << text;
}

TEST(PaperExperiment, ATemporaryModelDirectoryIsRemoved) {
  PaperExperimentOptions options = short_options();
  options.test_scenarios = {"single"};
  const PaperExperimentResult result = run_paper_experiment(options);
  ASSERT_EQ(result.models.size(), 1u);
  EXPECT_FALSE(std::filesystem::exists(result.models[0].path));
}

TEST(PaperExperiment, CrossGpuTestsAreMarked) {
  PaperExperimentOptions options = short_options();
  options.test_scenarios = {"h100-mix"};
  const PaperExperimentResult result = run_paper_experiment(options);
  bool marked = false;
  for (const auto& row : result.rows) {
    EXPECT_EQ(row.other_gpu, row.method == "linear") << row.method;
    marked = marked || row.other_gpu;
  }
  EXPECT_TRUE(marked);
  ASSERT_EQ(result.notes.size(), 1u);
  EXPECT_NE(result.notes[0].find("H100"), std::string::npos);
}

TEST(PaperExperiment, TrainingTracesNeedTestTraces) {
  PaperExperimentOptions options = short_options();
  options.train_traces = {"train.csv"};
  EXPECT_THROW((void)run_paper_experiment(options), InputError);
}

}  // namespace
}  // namespace migpower
