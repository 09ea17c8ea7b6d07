#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "attribution/attribution.hpp"
#include "eval/compare_table.hpp"
#include "model/model_file.hpp"

namespace migpower {

// `migpower experiment paper`: the evaluation of arXiv 2501.17752 on the simulator, or on any
// traces given (docs/evaluation.md). Offline models (linear, ridge, poly2, gbt) are trained on
// whole-card / isolated-instance runs of some workloads, then every method is scored on runs
// it was not trained on: the same workloads with other seeds, held-out workloads, and
// concurrent MIG cards; each before and after scaling to the measured total.
struct PaperExperimentOptions {
  // Simulator runs (used when no traces are given).
  std::vector<std::string> train_scenarios = {"full-gpu-gemm-fp32", "full-gpu-gemm-tensor"};
  // Test scenarios, in table order: isolated (one instance) first, then concurrent.
  std::vector<std::string> test_scenarios = {"full-gpu-gemm-fp32",
                                             "full-gpu-gemm-tensor",
                                             "full-gpu-memory-bound",
                                             "full-gpu-llm-serving",
                                             "single",
                                             "mixed",
                                             "seven-1g",
                                             "capped",
                                             "h100-mix"};
  std::vector<std::uint64_t> train_seeds = {1, 2};
  std::vector<std::uint64_t> test_seeds = {3};  // never the training seeds
  double train_duration_s = 3600.0;
  double test_duration_s = 3600.0;

  // Trace files in the contract; when test_traces is given the simulator is not used. Test
  // traces need truth_power_w; training traces need frames where one instance runs alone.
  std::vector<std::string> train_traces;
  std::vector<std::string> test_traces;

  std::vector<std::string> model_kinds;  // empty: every kind `migpower train` knows
  double validation_fraction = 0.2;      // held out of training, by time blocks
  double warmup_s = 120.0;               // attributed but not scored, for the online methods
  IdlePolicy idle_policy = IdlePolicy::slices;
  // Where the trained model files are written (reusable with `evaluate --model`); empty: a
  // temporary directory removed at the end.
  std::string model_dir;
};

// One offline model as trained.
struct TrainedModel {
  std::string kind;
  std::string path;  // its model file
  TrainingSummary training;
  FitError training_error;
  std::optional<FitError> validation_error;
};

// One method on one test trace (figures averaged over the test seeds).
struct PaperRow {
  std::string test;     // scenario name or trace path
  std::string setting;  // "isolated, seen workload", "concurrent", ...
  bool isolated = false;
  double concurrent_frames_pct = 0.0;  // frames with two or more instances active
  bool other_gpu = false;              // offline models trained on another GPU model
  std::string method;
  ReportSummary summary;
  double wape_pct = 0.0;
  std::optional<double> wape_before_pct;
  double aggregate_error_pct = 0.0;
  std::optional<double> aggregate_error_before_pct;
};

struct PaperExperimentResult {
  std::vector<TrainedModel> models;
  std::vector<PaperRow> rows;
  std::vector<std::string> notes;  // what could not be run, and why
};

// Throws InputError for unusable traces or scenarios, and when no test has ground truth.
[[nodiscard]] PaperExperimentResult run_paper_experiment(const PaperExperimentOptions& options);

// Markdown: the training table, the table of every method on every test, and a summary of mean
// per-instance MAPE before and after scaling, isolated vs concurrent, per method.
void print_paper_markdown(std::ostream& out, const PaperExperimentResult& result);

}  // namespace migpower
