#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace migpower {

// What `migpower ledger query` and the agent's /api/v1/energy sum the stored instance buckets by.
enum class EnergyGrouping { instance, tenant, namespace_, gpu, node };

// Throws InputError naming the known groupings.
[[nodiscard]] EnergyGrouping parse_energy_grouping(std::string_view text);
[[nodiscard]] std::string_view grouping_name(EnergyGrouping grouping);
// The key columns of a row for this grouping, in order: instance: gpu_uuid, gpu_i_id, profile;
// tenant: tenant; namespace: namespace; gpu: node, gpu_uuid; node: node.
[[nodiscard]] std::vector<std::string> grouping_keys(EnergyGrouping grouping);

// Buckets that start in [from_s, to_s) (none: unbounded), summed by `group_by`.
struct EnergyQuery {
  std::optional<double> from_s;
  std::optional<double> to_s;
  EnergyGrouping group_by = EnergyGrouping::tenant;
};

// One group's sums. Carbon and cost are absent when no stored bucket of the group had them;
// energy_without_carbon_j says how much of the energy has no location-based carbon (a gap or no
// intensity given), so a partial figure is never read as a whole one.
struct EnergySum {
  std::vector<std::string> key;  // values of grouping_keys(), in order
  double energy_j = 0.0;
  double static_j = 0.0;
  double dynamic_j = 0.0;
  std::optional<double> carbon_location_g;
  std::optional<double> carbon_market_g;
  std::optional<double> cost;
  std::string currency;  // "" without a price; "mixed" when the group's buckets used several
  double energy_without_carbon_j = 0.0;
  double first_s = 0.0;  // the earliest bucket's start
  double last_s = 0.0;   // the latest bucket's end
  long long segments = 0;
};

// The SQL both stores run: one statement over instance_energy with the period as parameters 1
// and 2 (`?1`/`?2` for SQLite, `$1`/`$2` for PostgreSQL); columns are the keys, then energy,
// static, dynamic, carbon (location, market), cost, currency, energy without carbon, first
// bucket start, last bucket end, segment count. Summing in the database keeps a year of a
// fleet's rows out of memory.
enum class SqlDialect { sqlite, postgres };
[[nodiscard]] std::string energy_query_sql(EnergyGrouping grouping, SqlDialect dialect);

}  // namespace migpower
