#include "eval/evaluation.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "attribution/attributor.hpp"
#include "attribution/online_frame_model.hpp"
#include "core/error.hpp"
#include "ledger/energy_ledger.hpp"

namespace migpower {

namespace {

// Below this an instance's split is flagged: the card's signal has pinned down less than half
// of its dynamic power's prior variance.
constexpr double kPoorlyIdentified = 0.5;

// "12.34" ("12.34%" with a unit) or "n/a" for a number only some methods have.
std::string percent_or_na(const std::optional<double>& value, int decimals = 2,
                          const char* unit = "") {
  return value ? fmt::format("{:.{}f}{}", *value, decimals, unit) : std::string("n/a");
}

nlohmann::json number_or_null(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// Each GPU's first timestamp, so the warm-up runs per card.
class WarmupClock {
 public:
  explicit WarmupClock(double warmup_s) : warmup_s_(warmup_s) {}
  [[nodiscard]] bool warming_up(const Frame& frame) {
    if (warmup_s_ <= 0.0) return false;
    for (const auto& [uuid, start] : starts_) {
      if (uuid == frame.gpu_uuid) return frame.timestamp_s - start < warmup_s_;
    }
    starts_.emplace_back(frame.gpu_uuid, frame.timestamp_s);
    return true;
  }

 private:
  double warmup_s_;
  std::vector<std::pair<std::string, double>> starts_;
};

}  // namespace

EvaluationReport evaluate(FrameSource& source, const MethodChoice& method, std::string source_name,
                          EnergyLedger* ledger_out, const EvaluationSettings& settings) {
  Attributor attributor = make_attributor(method);
  return evaluate(source, attributor, method_label(method), method.idle_policy,
                  std::move(source_name), ledger_out, settings);
}

EvaluationReport evaluate(FrameSource& source, Attributor& attributor, std::string method_label,
                          IdlePolicy idle_policy, std::string source_name, EnergyLedger* ledger_out,
                          const EvaluationSettings& settings) {
  EnergyLedger scored;  // the frames after the warm-up, for the energy errors
  WarmupClock warmup(settings.warmup_s);
  ErrorAccumulator errors;
  bool truth_in_warmup = false;
  // The online model's identifiability per instance: sum and frames.
  const auto* online = dynamic_cast<const OnlineFrameModel*>(attributor.frame_model());
  std::map<std::pair<std::string, int>, std::pair<double, std::size_t>> identifiability;
  Frame frame;
  FrameAttribution attribution;
  while (source.next(frame)) {
    attributor.attribute(frame, attribution);
    if (ledger_out != nullptr) ledger_out->add(frame, attribution);
    if (warmup.warming_up(frame)) {
      for (const auto& instance : frame.instances)
        truth_in_warmup |= instance.truth_power_w.has_value();
      continue;
    }
    scored.add(frame, attribution);
    errors.add(frame, attribution);
    if (online != nullptr && attribution.has_power) {
      for (std::size_t i = 0; i < frame.instances.size(); ++i) {
        const double value = online->identifiability(i);
        if (!std::isfinite(value)) continue;
        auto& [sum, count] = identifiability[{frame.gpu_uuid, frame.instances[i].gpu_i_id}];
        sum += value;
        ++count;
      }
    }
  }
  if (errors.frames_with_truth() == 0 && truth_in_warmup) {
    throw InputError(source_name + ": every frame falls in the " +
                     fmt::format("{:g}", settings.warmup_s) +
                     " s warm-up, so nothing is scored (pass a shorter --warmup, e.g. 0)");
  }
  if (errors.frames_with_truth() == 0) {
    throw InputError(source_name +
                     ": no truth_power_w values, so there is nothing to evaluate against "
                     "(simulate a trace, or record instances in isolation)");
  }
  EvaluationReport report;
  report.source = std::move(source_name);
  report.method = std::move(method_label);
  report.idle_policy = std::string(to_string(idle_policy));
  report.warmup_s = settings.warmup_s;
  report.instances = errors.instance_errors(scored);
  for (auto& e : report.instances) {
    const auto it = identifiability.find({e.gpu_uuid, e.gpu_i_id});
    if (it != identifiability.end() && it->second.second > 0) {
      e.identifiability = it->second.first / static_cast<double>(it->second.second);
    }
  }
  report.wape_pct = errors.wape_pct();
  report.aggregate_error_pct = errors.aggregate_error_pct();
  report.max_aggregate_error_w = errors.max_aggregate_error_w();
  report.wape_before_pct = errors.wape_before_pct();
  report.aggregate_error_before_pct = errors.aggregate_error_before_pct();
  report.coverage_1sd_pct = errors.coverage_1sd_pct();
  report.coverage_2sd_pct = errors.coverage_2sd_pct();
  report.frames = errors.frames();
  report.frames_with_truth = errors.frames_with_truth();
  return report;
}

void print_evaluation_table(std::ostream& out, const EvaluationReport& report) {
  fmt::print(out, "{} | method {} | idle policy {} | {} frames scored ({} with truth)",
             report.source, report.method, report.idle_policy, report.frames,
             report.frames_with_truth);
  if (report.warmup_s > 0.0) fmt::print(out, " after a {:g} s warm-up", report.warmup_s);
  fmt::print(out, "\n");
  // "MAPE% before": the method's own estimate before scaling to the measured total.
  fmt::print(out, "{:<12} {:>5} {:<11} {:<16} {:>8} {:>8} {:>8} {:>8} {:>10}\n", "gpu", "gi",
             "profile", "workload", "MAPE%", "before", "RMSE W", "MAE W", "energy %");
  for (const auto& e : report.instances) {
    fmt::print(out, "{:<12} {:>5} {:<11} {:<16} {:>8.2f} {:>8} {:>8.2f} {:>8.2f} {:>+10.2f}\n",
               e.gpu_uuid.substr(0, 12), e.gpu_i_id, e.profile, e.workload.substr(0, 16),
               e.mape_pct, percent_or_na(e.mape_before_pct), e.rmse_w, e.mae_w, e.energy_error_pct);
  }
  fmt::print(out, "WAPE {:.2f}% | aggregate error {:.4f}% (max {:.3g} W)\n", report.wape_pct,
             report.aggregate_error_pct, report.max_aggregate_error_w);
  fmt::print(out, "before scaling: WAPE {} | aggregate error {}\n",
             percent_or_na(report.wape_before_pct, 2, "%"),
             percent_or_na(report.aggregate_error_before_pct, 4, "%"));
  if (report.coverage_1sd_pct && report.coverage_2sd_pct) {
    fmt::print(out,
               "uncertainty: truth within 1 sd in {:.1f}% of shares (68% nominal), within 2 sd "
               "in {:.1f}% (95%)\n",
               *report.coverage_1sd_pct, *report.coverage_2sd_pct);
  }
  std::string identifiability;
  for (const auto& e : report.instances) {
    if (!e.identifiability) continue;
    identifiability +=
        fmt::format(" gi {} {:.2f}{}", e.gpu_i_id, *e.identifiability,
                    *e.identifiability < kPoorlyIdentified ? " (not identifiable)" : "");
  }
  if (!identifiability.empty()) {
    fmt::print(out, "identifiability (1: the card's signal pins the split, 0: the prior does):{}\n",
               identifiability);
  }
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
                         {"mape_before_pct", number_or_null(e.mape_before_pct)},
                         {"rmse_w", e.rmse_w},
                         {"mae_w", e.mae_w},
                         {"truth_energy_j", e.truth_energy_j},
                         {"estimated_energy_j", e.estimated_energy_j},
                         {"energy_error_pct", e.energy_error_pct},
                         {"coverage_1sd_pct", number_or_null(e.coverage_1sd_pct)},
                         {"coverage_2sd_pct", number_or_null(e.coverage_2sd_pct)},
                         {"identifiability", number_or_null(e.identifiability)}});
  }
  return {{"source", report.source},
          {"method", report.method},
          {"idle_policy", report.idle_policy},
          {"frames", report.frames},
          {"frames_with_truth", report.frames_with_truth},
          {"warmup_s", report.warmup_s},
          {"wape_pct", report.wape_pct},
          {"aggregate_error_pct", report.aggregate_error_pct},
          {"max_aggregate_error_w", report.max_aggregate_error_w},
          {"wape_before_pct", number_or_null(report.wape_before_pct)},
          {"aggregate_error_before_pct", number_or_null(report.aggregate_error_before_pct)},
          {"coverage_1sd_pct", number_or_null(report.coverage_1sd_pct)},
          {"coverage_2sd_pct", number_or_null(report.coverage_2sd_pct)},
          {"instances", instances}};
}

}  // namespace migpower
