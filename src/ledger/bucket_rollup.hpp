#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ledger/energy_query.hpp"

namespace migpower {

// Retention (docs/ledger.md#retention): buckets shorter than an hour that start before a cutoff
// are replaced by one row per hour with their sums, so a year of a card stays small while
// recent weeks keep their detail. A row's hour is the hour its bucket starts in. Rows are grouped
// by everything they were made with (method, idle policy, version, carbon source, currency, and
// whether carbon and cost were known), so no provenance is lost and a gap stays a gap; the
// hour row's segment_start is the earliest of its segments, which keeps keys unique.
// The cutoff is kept per node (table ledger_retention) and a batch for a bucket before it is
// refused: its segment may already be inside an hour row, and storing it again would count it
// twice.
struct RollupResult {
  std::int64_t before_s = 0;  // the cutoff, on an hour
  long long card_rows_before = 0;
  long long card_rows_after = 0;
  long long instance_rows_before = 0;
  long long instance_rows_after = 0;
};

constexpr std::int64_t kRollupSeconds = 3600;

// The hour at or before `time_s`.
[[nodiscard]] std::int64_t rollup_hour(std::int64_t time_s);

// The statements of one roll-up, all in one transaction: `steps` in order with the node as
// parameter 1 and the cutoff as parameter 2 (the first moves the node's cutoff forward, never
// back); then `rolled_counts` (no parameters: the hour rows written, cards and instances); then
// `cleanup` (no parameters).
struct RollupStatements {
  std::vector<std::string> steps;
  std::string rolled_counts;
  std::vector<std::string> cleanup;
};
[[nodiscard]] RollupStatements rollup_sql(SqlDialect dialect);

// Rows of a node below a cutoff that a roll-up would replace: parameter 1 node, 2 cutoff; two
// columns, card rows and instance rows.
[[nodiscard]] std::string rollup_count_sql(SqlDialect dialect);

// The node's cutoff (no row: nothing rolled up); parameter 1 node.
[[nodiscard]] std::string rollup_cutoff_sql(SqlDialect dialect);

}  // namespace migpower
