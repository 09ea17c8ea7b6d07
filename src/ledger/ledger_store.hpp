#pragma once

#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "ledger/bucket_rollup.hpp"
#include "ledger/bucket_rows.hpp"
#include "ledger/energy_query.hpp"

namespace migpower {

// Energy summed over every stored bucket: what an agent's counters continue from after a
// restart, so that dashboards see no reset.
struct LedgerTotals {
  struct Energy {
    double energy_j = 0.0;
    double static_j = 0.0;
    double dynamic_j = 0.0;
  };
  std::map<std::tuple<std::string, int, std::string>, Energy> instances;  // uuid, id, profile
  std::map<std::string, double> cards_measured_j;                         // by uuid
};

// Where bucket batches are kept: a SQLite file on the node, or a PostgreSQL database for a fleet
// (docs/ledger.md). write() stores one batch in one transaction; a segment already stored (same
// key) is left as it is, so a batch written twice is stored once. Both throw InputError when the
// store cannot be reached or refuses the write, having stored nothing of the batch.
class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  // False, storing nothing, when the batch's bucket starts before its node's roll-up cutoff
  // (bucket_rollup.hpp): the segment may already be counted in an hour row.
  virtual bool write(const BucketBatch& batch) = 0;
  // Sums for `node` (every node when empty).
  [[nodiscard]] virtual LedgerTotals totals(const std::string& node) = 0;
  [[nodiscard]] virtual std::string describe() const = 0;
  // Every stored segment whose bucket starts in [from_s, to_s) (none: unbounded), ordered by
  // bucket, segment and card, each with its instances and the provenance it was written with:
  // for reports. Held in memory (about 250 bytes a row).
  [[nodiscard]] virtual std::vector<BucketBatch> read(std::optional<double> from_s,
                                                      std::optional<double> to_s) = 0;
  // The instance buckets of the period summed by the query's grouping, in the database.
  [[nodiscard]] virtual std::vector<EnergySum> sum_energy(const EnergyQuery& query) = 0;
  // Rolls the node's buckets before `before_s` (an hour) up to hours, in one transaction.
  virtual RollupResult roll_up(const std::string& node, std::int64_t before_s) = 0;
  // The nodes that have written to this store.
  [[nodiscard]] virtual std::vector<std::string> nodes() = 0;
  // The end of the node's newest stored bucket; none when it has none.
  [[nodiscard]] virtual std::optional<double> last_bucket_end_s(const std::string& node) = 0;
};

}  // namespace migpower
