#pragma once

#include <cstddef>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "attribution/method_factory.hpp"
#include "core/frame.hpp"
#include "eval/metrics.hpp"
#include "ledger/energy_ledger.hpp"

namespace migpower {

// How well one attribution method matched the ground truth on one trace.
struct EvaluationReport {
  std::string source;  // trace path or "scenario NAME (seed N)"
  std::string method;
  std::string idle_policy;
  std::vector<InstanceErrors> instances;
  double wape_pct = 0.0;
  double aggregate_error_pct = 0.0;
  double max_aggregate_error_w = 0.0;
  // Before scaling (the method's own watts, InstanceShare::estimate_w): nullopt for methods
  // that give weights (the baselines).
  std::optional<double> wape_before_pct;
  std::optional<double> aggregate_error_before_pct;
  // Truth within 1 and 2 sd of the share, over every instance and frame (methods with an sd).
  std::optional<double> coverage_1sd_pct;
  std::optional<double> coverage_2sd_pct;
  std::size_t frames = 0;
  std::size_t frames_with_truth = 0;
  double warmup_s = 0.0;
};

struct EvaluationSettings {
  // Frames in the first warmup_s seconds (from each GPU's first frame) are attributed, so online
  // models learn from them, but not scored: errors and energies cover the rest.
  double warmup_s = 0.0;
};

// Attributes every frame of `source` with `method` and scores it against truth_power_w.
// Throws InputError when the source has no ground truth at all (after the warm-up). The energy
// it integrated over every frame is left in `ledger` when one is given.
[[nodiscard]] EvaluationReport evaluate(FrameSource& source, const MethodChoice& method,
                                        std::string source_name, EnergyLedger* ledger = nullptr,
                                        const EvaluationSettings& settings = {});

// The same with an attributor already made (experiments that try variants of a method);
// `method_label` and `idle_policy` name it in the report.
[[nodiscard]] EvaluationReport evaluate(FrameSource& source, Attributor& attributor,
                                        std::string method_label, IdlePolicy idle_policy,
                                        std::string source_name, EnergyLedger* ledger = nullptr,
                                        const EvaluationSettings& settings = {});

// A table for people: one row per instance, then the overall figures.
void print_evaluation_table(std::ostream& out, const EvaluationReport& report);
// The same as JSON for machines.
[[nodiscard]] nlohmann::json evaluation_json(const EvaluationReport& report);

}  // namespace migpower
