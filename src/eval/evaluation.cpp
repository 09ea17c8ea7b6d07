#include "eval/evaluation.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "attribution/attributor.hpp"
#include "attribution/method_label.hpp"
#include "core/error.hpp"
#include "ledger/energy_ledger.hpp"

namespace migpower {

EvaluationReport evaluate(FrameSource& source, const AttributionOptions& options,
                          std::string source_name, EnergyLedger* ledger_out) {
  Attributor attributor(options);
  EnergyLedger local_ledger;
  EnergyLedger& ledger = ledger_out != nullptr ? *ledger_out : local_ledger;
  ErrorAccumulator errors;
  Frame frame;
  FrameAttribution attribution;
  while (source.next(frame)) {
    attributor.attribute(frame, attribution);
    ledger.add(frame, attribution);
    errors.add(frame, attribution);
  }
  if (errors.frames_with_truth() == 0) {
    throw InputError(source_name +
                     ": no truth_power_w values, so there is nothing to evaluate against "
                     "(simulate a trace, or record instances in isolation)");
  }
  EvaluationReport report;
  report.source = std::move(source_name);
  report.method = method_label(options);
  report.idle_policy = std::string(to_string(options.idle_policy));
  report.instances = errors.instance_errors(ledger);
  report.wape_pct = errors.wape_pct();
  report.aggregate_error_pct = errors.aggregate_error_pct();
  report.max_aggregate_error_w = errors.max_aggregate_error_w();
  report.frames = errors.frames();
  report.frames_with_truth = errors.frames_with_truth();
  return report;
}

void print_evaluation_table(std::ostream& out, const EvaluationReport& report) {
  fmt::print(out, "{} | method {} | idle policy {} | {} frames ({} with truth)\n", report.source,
             report.method, report.idle_policy, report.frames, report.frames_with_truth);
  fmt::print(out, "{:<12} {:>5} {:<11} {:<16} {:>8} {:>8} {:>8} {:>10}\n", "gpu", "gi", "profile",
             "workload", "MAPE%", "RMSE W", "MAE W", "energy %");
  for (const auto& e : report.instances) {
    fmt::print(out, "{:<12} {:>5} {:<11} {:<16} {:>8.2f} {:>8.2f} {:>8.2f} {:>+10.2f}\n",
               e.gpu_uuid.substr(0, 12), e.gpu_i_id, e.profile, e.workload.substr(0, 16),
               e.mape_pct, e.rmse_w, e.mae_w, e.energy_error_pct);
  }
  fmt::print(out, "WAPE {:.2f}% | aggregate error {:.4f}% (max {:.3g} W)\n", report.wape_pct,
             report.aggregate_error_pct, report.max_aggregate_error_w);
}

nlohmann::json evaluation_json(const EvaluationReport& report) {
  nlohmann::json instances = nlohmann::json::array();
  for (const auto& e : report.instances) {
    instances.push_back({{"gpu_uuid", e.gpu_uuid},
                         {"gpu_i_id", e.gpu_i_id},
                         {"gpu_i_profile", e.profile},
                         {"workload", e.workload},
                         {"frames", e.frames},
                         {"mape_pct", e.mape_pct},
                         {"rmse_w", e.rmse_w},
                         {"mae_w", e.mae_w},
                         {"truth_energy_j", e.truth_energy_j},
                         {"estimated_energy_j", e.estimated_energy_j},
                         {"energy_error_pct", e.energy_error_pct}});
  }
  return {{"source", report.source},
          {"method", report.method},
          {"idle_policy", report.idle_policy},
          {"frames", report.frames},
          {"frames_with_truth", report.frames_with_truth},
          {"wape_pct", report.wape_pct},
          {"aggregate_error_pct", report.aggregate_error_pct},
          {"max_aggregate_error_w", report.max_aggregate_error_w},
          {"instances", instances}};
}

}  // namespace migpower
