#include "ledger/bucket_rollup.hpp"

namespace migpower {
namespace {

// Parameter n in the dialect's spelling.
std::string param(SqlDialect dialect, int n) {
  std::string text(1, dialect == SqlDialect::sqlite ? '?' : '$');
  text += std::to_string(n);
  return text;
}

// Rows a roll-up replaces: the node's buckets shorter than an hour before the cutoff.
std::string replaced_rows(SqlDialect dialect) {
  return " WHERE node = " + param(dialect, 1) + " AND bucket_start < " + param(dialect, 2) +
         " AND bucket_seconds < 3600";
}

constexpr const char* kHour = "(bucket_start / 3600) * 3600";
// The energy-weighted intensity of an hour: what its grams imply, else the value stored.
std::string intensity(const std::string& energy) {
  return "CASE WHEN sum(" + energy + ") > 0 AND sum(carbon_location_g) IS NOT NULL " +
         "THEN sum(carbon_location_g) / (sum(" + energy +
         ") / 3.6e6) ELSE max(intensity_g_per_kwh) END";
}
constexpr const char* kProvenance =
    "method, idle_policy, migpower_version, carbon_source, currency, "
    "carbon_location_g IS NULL, carbon_market_g IS NULL, cost IS NULL";

}  // namespace

std::int64_t rollup_hour(std::int64_t time_s) {
  const std::int64_t hour = time_s / kRollupSeconds * kRollupSeconds;
  return hour > time_s ? hour - kRollupSeconds : hour;
}

RollupStatements rollup_sql(SqlDialect dialect) {
  const bool sqlite = dialect == SqlDialect::sqlite;
  // PostgreSQL drops the temporary tables at commit; SQLite's are dropped by `cleanup`.
  const std::string temp = "CREATE TEMP TABLE ";
  const std::string on_commit = sqlite ? "" : " ON COMMIT DROP";
  const std::string where = replaced_rows(dialect);
  RollupStatements statements;
  statements.steps = {
      // First, so that a concurrent PostgreSQL writer of this node waits on the row lock.
      "INSERT INTO ledger_retention (node, rolled_up_before) VALUES (" + param(dialect, 1) + ", " +
          param(dialect, 2) +
          ") ON CONFLICT (node) DO UPDATE SET rolled_up_before = " + (sqlite ? "max" : "GREATEST") +
          "(ledger_retention.rolled_up_before, excluded.rolled_up_before)",
      temp + "rolled_cards" + on_commit + " AS SELECT node, gpu_uuid, gpu_model, " + kHour +
          " AS hour, min(segment_start) AS segment_start, sum(measured_j) AS measured_j, "
          "sum(unattributed_j) AS unattributed_j, sum(frames) AS frames, method, idle_policy, "
          "migpower_version, sum(carbon_location_g) AS carbon_location_g, "
          "sum(carbon_market_g) AS carbon_market_g, " +
          intensity("measured_j") +
          " AS intensity_g_per_kwh, carbon_source, sum(cost) AS cost, currency FROM card_energy" +
          where + " GROUP BY node, gpu_uuid, gpu_model, hour, " + kProvenance,
      temp + "rolled_instances" + on_commit +
          " AS SELECT node, gpu_uuid, gpu_i_id, profile, tenant, " + kHour +
          " AS hour, min(segment_start) AS segment_start, sum(energy_j) AS energy_j, "
          "sum(static_j) AS static_j, sum(dynamic_j) AS dynamic_j, method, idle_policy, "
          "migpower_version, sum(carbon_location_g) AS carbon_location_g, "
          "sum(carbon_market_g) AS carbon_market_g, " +
          intensity("energy_j") +
          " AS intensity_g_per_kwh, carbon_source, sum(cost) AS cost, currency "
          "FROM instance_energy" +
          where + " GROUP BY node, gpu_uuid, gpu_i_id, profile, tenant, hour, " + kProvenance,
      "DELETE FROM card_energy" + where,
      "DELETE FROM instance_energy" + where,
      "INSERT INTO card_energy (node, gpu_uuid, gpu_model, bucket_start, bucket_seconds, "
      "segment_start, measured_j, unattributed_j, frames, method, idle_policy, migpower_version, "
      "carbon_location_g, carbon_market_g, intensity_g_per_kwh, carbon_source, cost, currency) "
      "SELECT node, gpu_uuid, gpu_model, hour, 3600, segment_start, measured_j, unattributed_j, "
      "frames, method, idle_policy, migpower_version, carbon_location_g, carbon_market_g, "
      "intensity_g_per_kwh, carbon_source, cost, currency FROM rolled_cards",
      "INSERT INTO instance_energy (node, gpu_uuid, gpu_i_id, profile, tenant, bucket_start, "
      "bucket_seconds, segment_start, energy_j, static_j, dynamic_j, method, idle_policy, "
      "migpower_version, carbon_location_g, carbon_market_g, intensity_g_per_kwh, carbon_source, "
      "cost, currency) SELECT node, gpu_uuid, gpu_i_id, profile, tenant, hour, 3600, "
      "segment_start, energy_j, static_j, dynamic_j, method, idle_policy, migpower_version, "
      "carbon_location_g, carbon_market_g, intensity_g_per_kwh, carbon_source, cost, currency "
      "FROM rolled_instances",
  };
  statements.rolled_counts =
      "SELECT (SELECT count(*) FROM rolled_cards), (SELECT count(*) FROM rolled_instances)";
  if (sqlite) statements.cleanup = {"DROP TABLE rolled_cards", "DROP TABLE rolled_instances"};
  return statements;
}

std::string rollup_count_sql(SqlDialect dialect) {
  const std::string where = replaced_rows(dialect);
  return "SELECT (SELECT count(*) FROM card_energy" + where +
         "), (SELECT count(*) FROM instance_energy" + where + ")";
}

std::string rollup_cutoff_sql(SqlDialect dialect) {
  return "SELECT rolled_up_before FROM ledger_retention WHERE node = " + param(dialect, 1);
}

}  // namespace migpower
