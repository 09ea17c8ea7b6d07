#pragma once

#include <iosfwd>
#include <optional>
#include <span>

#include "eval/evaluation.hpp"

namespace migpower {

// One evaluation reduced to the figures that compare methods.
struct ReportSummary {
  double mean_mape_pct = 0.0;  // over instances
  double worst_mape_pct = 0.0;
  // The same before scaling (the method's own watts); nullopt for weight-based methods.
  std::optional<double> mean_mape_before_pct;
  std::optional<double> worst_mape_before_pct;
  double worst_energy_error_pct = 0.0;  // signed, the largest in magnitude
};

[[nodiscard]] ReportSummary summarize(const EvaluationReport& report);

// `evaluate --compare`: one row per method (reports of one trace, in the order given) with
// per-instance MAPE (mean, worst, and mean before scaling), WAPE before and after scaling, the
// worst instance energy error, and the aggregate error before and after scaling. "n/a" marks
// the before-scaling figures of methods that give weights, not watts.
void print_compare_table(std::ostream& out, std::span<const EvaluationReport> reports);

}  // namespace migpower
