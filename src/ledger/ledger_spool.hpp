#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ledger/bucket_rows.hpp"
#include "ledger/sqlite_ledger.hpp"

namespace migpower {

// Batches on their way to a fleet database, kept on disk (a SQLite file) so that neither an
// outage of the database nor a restart of the agent loses them. Bounded: beyond `capacity`
// batches the oldest are dropped, and counted, rather than filling the disk.
class LedgerSpool {
 public:
  LedgerSpool(const std::string& path, std::size_t capacity);

  // Keeps a batch; returns how many old ones were dropped to make room (0 normally).
  std::size_t push(const BucketBatch& batch);
  // Up to `count` of the oldest batches, with their ids.
  [[nodiscard]] std::vector<std::pair<std::int64_t, BucketBatch>> oldest(std::size_t count);
  void remove(std::int64_t id);
  [[nodiscard]] std::size_t size();

 private:
  SqliteLedger db_;  // its migrations give the file the ledger tables too; unused here
  std::size_t capacity_;
};

}  // namespace migpower
