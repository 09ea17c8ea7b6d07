#pragma once

#include <map>
#include <string>
#include <tuple>

#include "ledger/bucket_rows.hpp"

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
  virtual void write(const BucketBatch& batch) = 0;
  // Sums for `node` (every node when empty).
  [[nodiscard]] virtual LedgerTotals totals(const std::string& node) = 0;
  [[nodiscard]] virtual std::string describe() const = 0;
};

}  // namespace migpower
