#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "attribution/attribution.hpp"
#include "eval/evaluation.hpp"

namespace migpower {

// One row of an experiment: a method evaluated on one simulated scenario.
struct ExperimentRow {
  std::string scenario;
  std::uint64_t seed = 0;
  EvaluationReport report;
};

struct BaselineExperimentOptions {
  std::vector<std::string> scenarios;  // empty: every simulator scenario
  std::vector<std::uint64_t> seeds = {1};
  double duration_s = 3600.0;
  IdlePolicy idle_policy = IdlePolicy::slices;
};

// Evaluates every baseline (equal, slices, utilization) on every scenario and seed.
[[nodiscard]] std::vector<ExperimentRow> run_baseline_experiment(
    const BaselineExperimentOptions& options);

// A Markdown table: per scenario and method, WAPE, mean and worst per-instance MAPE, worst
// instance energy error and the aggregate error.
void print_experiment_markdown(std::ostream& out, const std::vector<ExperimentRow>& rows);

}  // namespace migpower
