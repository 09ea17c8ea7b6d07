#include "export/energy_report.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <nlohmann/json.hpp>
#include <ostream>

namespace migpower {
namespace {

constexpr double kJoulesPerWh = 3600.0;

double duration_s(const CardEnergy& card) { return card.last_timestamp_s - card.first_timestamp_s; }

double mean_power_w(const InstanceEnergy& instance) {
  return instance.frames > 0 ? instance.power_sum_w / static_cast<double>(instance.frames) : 0.0;
}

}  // namespace

void print_energy_table(std::ostream& out, const EnergyLedger& ledger, const ReportLabels& labels) {
  fmt::print(out, "{} | method {} | idle policy {}\n", labels.source, labels.method,
             labels.idle_policy);
  for (const auto& card : ledger.cards()) {
    fmt::print(out, "\nGPU {} ({}): {} frames over {:.1f} s", card.gpu_uuid, card.gpu_model,
               card.frames, duration_s(card));
    if (card.frames_without_power > 0) {
      fmt::print(out, ", {} without power", card.frames_without_power);
    }
    fmt::print(out, "\n{:>5}  {:<12} {:<18} {:>8} {:>8} {:>10} {:>10} {:>10} {:>6}\n", "gi",
               "profile", "workload", "mean W", "peak W", "static Wh", "dynamic Wh", "energy Wh",
               "share");
    double attributed_j = 0.0;
    for (const auto& instance : ledger.instances()) {
      if (instance.gpu_uuid != card.gpu_uuid) continue;
      attributed_j += instance.energy_j;
      const double share = card.energy_j > 0.0 ? 100.0 * instance.energy_j / card.energy_j : 0.0;
      fmt::print(
          out, "{:>5}  {:<12} {:<18} {:>8.1f} {:>8.1f} {:>10.3f} {:>10.3f} {:>10.3f} {:>5.1f}%\n",
          instance.gpu_i_id, instance.profile, instance.workload.substr(0, 18),
          mean_power_w(instance), instance.peak_power_w, instance.static_energy_j / kJoulesPerWh,
          instance.dynamic_energy_j / kJoulesPerWh, instance.energy_j / kJoulesPerWh, share);
    }
    if (card.unattributed_j > 0.0) {
      fmt::print(out, "{:>5}  {:<12} {:<18} {:>8} {:>8} {:>10} {:>10} {:>10.3f} {:>5.1f}%\n", "-",
                 "unattributed", "(idle policy none)", "", "", "", "",
                 card.unattributed_j / kJoulesPerWh,
                 card.energy_j > 0.0 ? 100.0 * card.unattributed_j / card.energy_j : 0.0);
    }
    fmt::print(
        out, "{:>5}  {:<12} {:<18} {:>8} {:>8} {:>10} {:>10} {:>10.3f} (card measured {:.3f} Wh)\n",
        "", "total", "", "", "", "", "", (attributed_j + card.unattributed_j) / kJoulesPerWh,
        card.energy_j / kJoulesPerWh);
  }
}

std::string energy_json(const EnergyLedger& ledger, const ReportLabels& labels) {
  return energy_document(ledger, labels).dump(2);
}

nlohmann::json energy_document(const EnergyLedger& ledger, const ReportLabels& labels) {
  nlohmann::json cards = nlohmann::json::array();
  for (const auto& card : ledger.cards()) {
    nlohmann::json instances = nlohmann::json::array();
    for (const auto& instance : ledger.instances()) {
      if (instance.gpu_uuid != card.gpu_uuid) continue;
      nlohmann::json entry = {{"gpu_i_id", instance.gpu_i_id},
                              {"gpu_i_profile", instance.profile},
                              {"workload", instance.workload},
                              {"frames", instance.frames},
                              {"mean_power_w", mean_power_w(instance)},
                              {"peak_power_w", instance.peak_power_w},
                              {"energy_j", instance.energy_j},
                              {"static_energy_j", instance.static_energy_j},
                              {"dynamic_energy_j", instance.dynamic_energy_j},
                              {"energy_wh", instance.energy_j / kJoulesPerWh}};
      if (instance.truth_energy_j) entry["truth_energy_j"] = *instance.truth_energy_j;
      instances.push_back(std::move(entry));
    }
    cards.push_back({{"gpu_uuid", card.gpu_uuid},
                     {"gpu_model", card.gpu_model},
                     {"frames", card.frames},
                     {"frames_without_power", card.frames_without_power},
                     {"duration_s", duration_s(card)},
                     {"energy_j", card.energy_j},
                     {"energy_wh", card.energy_j / kJoulesPerWh},
                     {"unattributed_j", card.unattributed_j},
                     {"counter_intervals", card.counter_intervals},
                     {"power_intervals", card.power_intervals},
                     {"instances", std::move(instances)}});
  }
  return {{"source", labels.source},
          {"method", labels.method},
          {"idle_policy", labels.idle_policy},
          {"cards", std::move(cards)}};
}

}  // namespace migpower
