#include "export/process_report.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>
#include <vector>

namespace migpower {
namespace {

constexpr double kJoulesPerWh = 3600.0;
constexpr std::size_t kNameWidth = 20;

bool same_instance(const ProcessEnergy& process, const InstanceProcessEnergy& instance) {
  return process.gpu_i_id == instance.gpu_i_id && process.profile == instance.profile &&
         process.gpu_uuid == instance.gpu_uuid;
}

double percent_of(double part, double whole) { return whole > 0.0 ? 100.0 * part / whole : 0.0; }

// A name as one table cell: anyone may name a process, so control characters (a line break
// would break the table) become '?', and a long name is cut at a character boundary.
std::string cell_name(const std::string& name) {
  if (name.empty()) return "(unknown)";
  std::string out;
  for (const char c : name) {
    const auto byte = static_cast<unsigned char>(c);
    out.push_back(byte < 0x20 || byte == 0x7F ? '?' : c);
  }
  if (out.size() > kNameWidth) {
    std::size_t cut = kNameWidth;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

const InstanceProcessEnergy* instance_of(const ProcessLedger& ledger,
                                         const ProcessEnergy& process) {
  for (const InstanceProcessEnergy& instance : ledger.instances()) {
    if (same_instance(process, instance)) return &instance;
  }
  return nullptr;
}

}  // namespace

void print_process_table(std::ostream& out, const EnergyLedger& energy,
                         const ProcessLedger& processes, const ProcessFileSummary& file) {
  fmt::print(out, "\nProcesses ({}: {} rows, {} matched to frames", file.path, file.rows,
             file.rows_matched);
  if (file.processes_ignored > 0) {
    fmt::print(out, ", {} not placed in an instance", file.processes_ignored);
  }
  fmt::print(out, ")\n");
  std::vector<const ProcessEnergy*> rows;
  for (const CardEnergy& card : energy.cards()) {
    fmt::print(out, "\nGPU {}\n{:>5}  {:<12} {:>8}  {:<20} {:>8} {:>10} {:>6} {:>9}\n",
               card.gpu_uuid, "gi", "profile", "pid", "name", "mean W", "energy Wh", "share",
               "seconds");
    for (const InstanceProcessEnergy& instance : processes.instances()) {
      if (instance.gpu_uuid != card.gpu_uuid) continue;
      rows.clear();
      for (const ProcessEnergy& process : processes.processes()) {
        if (same_instance(process, instance)) rows.push_back(&process);
      }
      std::sort(rows.begin(), rows.end(), [](const ProcessEnergy* a, const ProcessEnergy* b) {
        return std::pair(a->pid, a->first_seen_s) < std::pair(b->pid, b->first_seen_s);
      });
      for (const ProcessEnergy* process : rows) {
        fmt::print(out, "{:>5}  {:<12} {:>8}  {:<20} {:>8.1f} {:>10.3f} {:>5.1f}% {:>9.1f}\n",
                   instance.gpu_i_id, instance.profile, process->pid, cell_name(process->name),
                   process->mean_power_w(), process->energy_j / kJoulesPerWh,
                   percent_of(process->energy_j, instance.energy_j), process->seconds);
      }
      if (instance.unassigned_j > 0.0) {
        fmt::print(out, "{:>5}  {:<12} {:>8}  {:<20} {:>8} {:>10.3f} {:>5.1f}% {:>9}\n",
                   instance.gpu_i_id, instance.profile, "-", "(no process)", "",
                   instance.unassigned_j / kJoulesPerWh,
                   percent_of(instance.unassigned_j, instance.energy_j), "");
      }
    }
  }
}

void add_process_json(nlohmann::json& document, const ProcessLedger& processes,
                      const ProcessFileSummary& file) {
  nlohmann::json rows = nlohmann::json::array();
  for (const ProcessEnergy& process : processes.processes()) {
    const InstanceProcessEnergy* instance = instance_of(processes, process);
    rows.push_back({{"gpu_uuid", process.gpu_uuid},
                    {"gpu_i_id", process.gpu_i_id},
                    {"gpu_i_profile", process.profile},
                    {"pid", process.pid},
                    {"name", process.name},
                    {"frames", process.frames},
                    {"seconds", process.seconds},
                    {"first_seen_s", process.first_seen_s},
                    {"last_seen_s", process.last_seen_s},
                    {"mean_power_w", process.mean_power_w()},
                    {"energy_j", process.energy_j},
                    {"static_energy_j", process.static_energy_j},
                    {"dynamic_energy_j", process.dynamic_energy_j},
                    {"energy_wh", process.energy_j / kJoulesPerWh},
                    {"instance_share", instance != nullptr && instance->energy_j > 0.0
                                           ? process.energy_j / instance->energy_j
                                           : 0.0}});
  }
  nlohmann::json instances = nlohmann::json::array();
  for (const InstanceProcessEnergy& instance : processes.instances()) {
    instances.push_back({{"gpu_uuid", instance.gpu_uuid},
                         {"gpu_i_id", instance.gpu_i_id},
                         {"gpu_i_profile", instance.profile},
                         {"energy_j", instance.energy_j},
                         {"no_process_energy_j", instance.unassigned_j},
                         {"frames_without_process", instance.frames_without_process}});
  }
  document["processes"] = std::move(rows);
  document["process_instances"] = std::move(instances);
  document["process_file"] = {{"path", file.path},
                              {"rows", file.rows},
                              {"rows_matched", file.rows_matched},
                              {"rows_unmatched", file.rows_unmatched},
                              {"processes_ignored", file.processes_ignored}};
}

std::string energy_json_with_processes(const EnergyLedger& energy, const ProcessLedger& processes,
                                       const ProcessFileSummary& file, const ReportLabels& labels) {
  nlohmann::json document = energy_document(energy, labels);
  add_process_json(document, processes, file);
  return document.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace migpower
