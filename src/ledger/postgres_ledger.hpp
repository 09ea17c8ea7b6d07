#pragma once

#include <string>

#include "ledger/ledger_store.hpp"

struct pg_conn;

namespace migpower {

// A fleet's ledger in PostgreSQL, through libpq (the C client: the handful of calls needed —
// connect, parameterised statements, transactions — without a C++ wrapper whose ABI would be one
// more thing to keep in step). Many agents write at once: each batch is one transaction of
// INSERT ... ON CONFLICT DO NOTHING, so concurrent or repeated writes of a segment store it
// once. The schema (the same tables as the node's SQLite ledger, docs/ledger.md) is created or
// migrated on connect under an advisory lock, so agents starting together do not race.
class PostgresLedger final : public LedgerStore {
 public:
  // Connects and migrates. Throws InputError (the URL's password is never printed).
  explicit PostgresLedger(const std::string& url);
  ~PostgresLedger() override;
  PostgresLedger(const PostgresLedger&) = delete;
  PostgresLedger& operator=(const PostgresLedger&) = delete;

  void write(const BucketBatch& batch) override;
  [[nodiscard]] LedgerTotals totals(const std::string& node) override;
  [[nodiscard]] std::vector<BucketBatch> read(std::optional<double> from_s,
                                              std::optional<double> to_s) override;
  [[nodiscard]] std::string describe() const override { return safe_url_; }

 private:
  void connect();
  void exec(const std::string& sql);

  std::string url_;
  std::string safe_url_;  // without the password, for messages
  pg_conn* connection_ = nullptr;
};

// The URL with any password replaced by "***".
[[nodiscard]] std::string without_password(const std::string& url);

}  // namespace migpower
