// The node ledger's schema, as migrations (docs/ledger.md). Each step takes the file from
// version k to k + 1 in one transaction; a file is never changed in place otherwise. Add a step
// at the end; never edit one that shipped.

#include <string>
#include <vector>

#include "ledger/sqlite_ledger.hpp"

namespace migpower {

const std::vector<std::string>& sqlite_ledger_migrations() {
  static const std::vector<std::string> migrations = {
      // 1: energy per card and per instance in time buckets, keyed so a segment is stored once.
      R"sql(
CREATE TABLE card_energy (
  node TEXT NOT NULL,
  gpu_uuid TEXT NOT NULL,
  gpu_model TEXT NOT NULL,
  bucket_start INTEGER NOT NULL,
  bucket_seconds INTEGER NOT NULL,
  segment_start REAL NOT NULL,
  measured_j REAL NOT NULL,
  unattributed_j REAL NOT NULL,
  frames INTEGER NOT NULL,
  method TEXT NOT NULL,
  idle_policy TEXT NOT NULL,
  migpower_version TEXT NOT NULL,
  PRIMARY KEY (gpu_uuid, bucket_start, segment_start)
);
CREATE TABLE instance_energy (
  node TEXT NOT NULL,
  gpu_uuid TEXT NOT NULL,
  gpu_i_id INTEGER NOT NULL,
  profile TEXT NOT NULL,
  tenant TEXT NOT NULL,
  bucket_start INTEGER NOT NULL,
  bucket_seconds INTEGER NOT NULL,
  segment_start REAL NOT NULL,
  energy_j REAL NOT NULL,
  static_j REAL NOT NULL,
  dynamic_j REAL NOT NULL,
  method TEXT NOT NULL,
  idle_policy TEXT NOT NULL,
  migpower_version TEXT NOT NULL,
  PRIMARY KEY (gpu_uuid, gpu_i_id, profile, tenant, bucket_start, segment_start)
);
)sql",
      // 2: carbon (location- and market-based) and cost, with the values and source used.
      R"sql(
ALTER TABLE card_energy ADD COLUMN carbon_location_g REAL;
ALTER TABLE card_energy ADD COLUMN carbon_market_g REAL;
ALTER TABLE card_energy ADD COLUMN intensity_g_per_kwh REAL;
ALTER TABLE card_energy ADD COLUMN carbon_source TEXT NOT NULL DEFAULT 'none';
ALTER TABLE card_energy ADD COLUMN cost REAL;
ALTER TABLE card_energy ADD COLUMN currency TEXT NOT NULL DEFAULT '';
ALTER TABLE instance_energy ADD COLUMN carbon_location_g REAL;
ALTER TABLE instance_energy ADD COLUMN carbon_market_g REAL;
ALTER TABLE instance_energy ADD COLUMN intensity_g_per_kwh REAL;
ALTER TABLE instance_energy ADD COLUMN carbon_source TEXT NOT NULL DEFAULT 'none';
ALTER TABLE instance_energy ADD COLUMN cost REAL;
ALTER TABLE instance_energy ADD COLUMN currency TEXT NOT NULL DEFAULT '';
)sql",
      // 3: time-range queries, and per-tenant daily totals as a view for reports.
      R"sql(
CREATE INDEX instance_energy_by_time ON instance_energy (bucket_start);
CREATE INDEX card_energy_by_time ON card_energy (bucket_start);
CREATE VIEW tenant_energy_daily AS
  SELECT tenant,
         date(bucket_start, 'unixepoch') AS day,
         sum(energy_j) / 3.6e6 AS energy_kwh,
         sum(carbon_location_g) / 1000.0 AS carbon_location_kg,
         sum(carbon_market_g) / 1000.0 AS carbon_market_kg,
         sum(cost) AS cost,
         max(currency) AS currency
  FROM instance_energy GROUP BY tenant, day;
)sql",
      // 4: retention: per node, the hour before which buckets were rolled up to hours.
      R"sql(
CREATE TABLE ledger_retention (
  node TEXT PRIMARY KEY,
  rolled_up_before INTEGER NOT NULL
);
)sql",
  };
  return migrations;
}

}  // namespace migpower
