#pragma once

#include <cstddef>
#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "export/energy_report.hpp"
#include "ledger/energy_ledger.hpp"
#include "ledger/process_attribution.hpp"
#include "ledger/process_ledger.hpp"

namespace migpower {

// Per card, per instance: each process's energy (Wh), its share of the instance's energy, mean
// power and the seconds it was seen; then the instance's energy no process held, where nonzero.
void print_process_table(std::ostream& out, const EnergyLedger& energy,
                         const ProcessLedger& processes, const ProcessFileSummary& file);

// The per-process figures as JSON: "processes" (one entry per process row of the ledger),
// "process_instances" (each instance's energy and the part no process held) and "process_file".
void add_process_json(nlohmann::json& document, const ProcessLedger& processes,
                      const ProcessFileSummary& file);

// energy_json with the per-process figures added. Process names that are not valid UTF-8 are
// written with replacement characters.
[[nodiscard]] std::string energy_json_with_processes(const EnergyLedger& energy,
                                                     const ProcessLedger& processes,
                                                     const ProcessFileSummary& file,
                                                     const ReportLabels& labels);

}  // namespace migpower
