#include "eval/compare_table.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>

namespace migpower {
namespace {

std::string number_or_na(const std::optional<double>& value, int decimals) {
  return value ? fmt::format("{:.{}f}", *value, decimals) : std::string("n/a");
}

}  // namespace

ReportSummary summarize(const EvaluationReport& report) {
  ReportSummary s;
  double mape_sum = 0.0;
  double before_sum = 0.0;
  std::size_t before_count = 0;
  for (const auto& e : report.instances) {
    mape_sum += e.mape_pct;
    s.worst_mape_pct = std::max(s.worst_mape_pct, e.mape_pct);
    if (std::abs(e.energy_error_pct) > std::abs(s.worst_energy_error_pct)) {
      s.worst_energy_error_pct = e.energy_error_pct;
    }
    if (e.mape_before_pct) {
      before_sum += *e.mape_before_pct;
      ++before_count;
      s.worst_mape_before_pct = std::max(s.worst_mape_before_pct.value_or(0.0), *e.mape_before_pct);
    }
  }
  if (!report.instances.empty()) {
    s.mean_mape_pct = mape_sum / static_cast<double>(report.instances.size());
  }
  if (before_count > 0) s.mean_mape_before_pct = before_sum / static_cast<double>(before_count);
  return s;
}

void print_compare_table(std::ostream& out, std::span<const EvaluationReport> reports) {
  if (reports.empty()) return;
  const EvaluationReport& first = reports.front();
  fmt::print(out, "{} | idle policy {} | {} frames scored ({} with truth)", first.source,
             first.idle_policy, first.frames, first.frames_with_truth);
  if (first.warmup_s > 0.0) fmt::print(out, " after a {:g} s warm-up", first.warmup_s);
  fmt::print(out, "\n");
  std::size_t width = 6;
  for (const auto& r : reports) width = std::max(width, r.method.size());
  // "before": the method's own estimates; "after": scaled to the measured card power.
  fmt::print(out, "{:<{}}  {:>27}  {:>17}  {:>8}  {:>19}\n", "", width, "per-instance MAPE %",
             "WAPE %", "worst", "aggregate error %");
  fmt::print(out, "{:<{}}  {:>7} {:>7} {:>11}  {:>8} {:>8}  {:>8}  {:>9} {:>9}\n", "method", width,
             "mean", "worst", "mean before", "before", "after", "energy %", "before", "after");
  for (const auto& r : reports) {
    const ReportSummary s = summarize(r);
    fmt::print(out, "{:<{}}  {:>7.2f} {:>7.2f} {:>11}  {:>8} {:>8.2f}  {:>+8.2f}  {:>9} {:>9.4f}\n",
               r.method, width, s.mean_mape_pct, s.worst_mape_pct,
               number_or_na(s.mean_mape_before_pct, 2), number_or_na(r.wape_before_pct, 2),
               r.wape_pct, s.worst_energy_error_pct, number_or_na(r.aggregate_error_before_pct, 4),
               r.aggregate_error_pct);
  }
}

}  // namespace migpower
