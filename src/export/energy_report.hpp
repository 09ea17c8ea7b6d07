#pragma once

#include <iosfwd>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "ledger/energy_ledger.hpp"

namespace migpower {

// Labels that say how the energy was split, printed with every report.
struct ReportLabels {
  std::string source;
  std::string method;
  std::string idle_policy;
};

// Per card, then per instance: mean and peak power, static/dynamic/total energy (Wh) and share.
void print_energy_table(std::ostream& out, const EnergyLedger& ledger, const ReportLabels& labels);

// The same figures as one JSON document (energies in joules and Wh).
[[nodiscard]] std::string energy_json(const EnergyLedger& ledger, const ReportLabels& labels);
// That document before it is written, for reports that add to it (export/process_report.hpp).
[[nodiscard]] nlohmann::json energy_document(const EnergyLedger& ledger,
                                             const ReportLabels& labels);

}  // namespace migpower
