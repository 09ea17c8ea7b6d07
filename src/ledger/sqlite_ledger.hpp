#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger_store.hpp"

struct sqlite3;

namespace migpower {

// The node's ledger: one SQLite file (libsqlite3), in WAL mode with synchronous=FULL, so a
// committed bucket survives a crash of the agent or the machine. The schema is versioned
// (PRAGMA user_version) and brought up to date by the migrations in sqlite_schema.cpp when the
// file is opened; a file from a newer migpower is refused.
class SqliteLedger final : public LedgerStore {
 public:
  // read_write opens (creating) the file and migrates it. read_only (queries, reports, the
  // agent's HTTP side) opens an existing file as it is, so that a query never upgrades a file an
  // older agent still writes. Throws InputError naming the path.
  enum class Access { read_write, read_only };
  explicit SqliteLedger(const std::string& path, Access access = Access::read_write);
  ~SqliteLedger() override;
  SqliteLedger(const SqliteLedger&) = delete;
  SqliteLedger& operator=(const SqliteLedger&) = delete;

  bool write(const BucketBatch& batch) override;
  [[nodiscard]] LedgerTotals totals(const std::string& node) override;
  [[nodiscard]] std::vector<BucketBatch> read(std::optional<double> from_s,
                                              std::optional<double> to_s) override;
  [[nodiscard]] std::vector<EnergySum> sum_energy(const EnergyQuery& query) override;
  RollupResult roll_up(const std::string& node, std::int64_t before_s) override;
  [[nodiscard]] std::vector<std::string> nodes() override;
  [[nodiscard]] std::optional<double> last_bucket_end_s(const std::string& node) override;
  [[nodiscard]] std::string describe() const override { return path_; }

  // For the spool and tests: run SQL that returns nothing; throws InputError on failure.
  void exec(const std::string& sql);
  [[nodiscard]] sqlite3* handle() { return db_; }
  [[nodiscard]] int schema_version();

 private:
  // The node's roll-up cutoff; the lowest time when nothing was rolled up.
  std::int64_t rolled_up_before(const std::string& node);

  std::string path_;
  sqlite3* db_ = nullptr;
};

// The schema's migrations, oldest first: migration k (0-based) takes a file from version k to
// k + 1. Exposed so that a test can build a file of every earlier version and migrate it.
[[nodiscard]] const std::vector<std::string>& sqlite_ledger_migrations();

}  // namespace migpower
