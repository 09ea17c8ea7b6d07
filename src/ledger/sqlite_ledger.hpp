#pragma once

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
  // Opens (creating) the file and migrates it. Throws InputError naming the path.
  explicit SqliteLedger(const std::string& path);
  ~SqliteLedger() override;
  SqliteLedger(const SqliteLedger&) = delete;
  SqliteLedger& operator=(const SqliteLedger&) = delete;

  void write(const BucketBatch& batch) override;
  [[nodiscard]] LedgerTotals totals(const std::string& node) override;
  [[nodiscard]] std::vector<BucketBatch> read(std::optional<double> from_s,
                                              std::optional<double> to_s) override;
  [[nodiscard]] std::string describe() const override { return path_; }

  // For the spool and tests: run SQL that returns nothing; throws InputError on failure.
  void exec(const std::string& sql);
  [[nodiscard]] sqlite3* handle() { return db_; }
  [[nodiscard]] int schema_version();

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
};

// The schema's migrations, oldest first: migration k (0-based) takes a file from version k to
// k + 1. Exposed so that a test can build a file of every earlier version and migrate it.
[[nodiscard]] const std::vector<std::string>& sqlite_ledger_migrations();

}  // namespace migpower
