#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "ledger/energy_query.hpp"

namespace migpower {

// A ledger query's answer as `migpower ledger query` and /api/v1/energy give it: one row per
// group and a total, energy in kWh and J, carbon in g and kg (location- and market-based), cost
// in the price's currency, each labelled with its unit. A missing carbon or cost is null (JSON)
// or empty (CSV, table), never 0.
struct EnergyAnswer {
  EnergyQuery query;
  std::string ledger;  // where the figures come from (a file, a URL without its password)
  std::vector<EnergySum> sums;
};

[[nodiscard]] std::string energy_json(const EnergyAnswer& answer);
void write_energy_csv(std::ostream& out, const EnergyAnswer& answer);
// Aligned columns for a terminal, the total last.
void write_energy_table(std::ostream& out, const EnergyAnswer& answer);

// The sums of every row, with the group's keys empty.
[[nodiscard]] EnergySum energy_total(const std::vector<EnergySum>& sums);

}  // namespace migpower
