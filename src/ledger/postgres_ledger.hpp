#pragma once

#include <memory>
#include <string>
#include <vector>

#include "ledger/ledger_store.hpp"

struct pg_conn;
struct pg_result;

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

  bool write(const BucketBatch& batch) override;
  [[nodiscard]] LedgerTotals totals(const std::string& node) override;
  [[nodiscard]] std::vector<BucketBatch> read(std::optional<double> from_s,
                                              std::optional<double> to_s) override;
  [[nodiscard]] std::vector<EnergySum> sum_energy(const EnergyQuery& energy_query) override;
  RollupResult roll_up(const std::string& node, std::int64_t before_s) override;
  [[nodiscard]] std::vector<std::string> nodes() override;
  [[nodiscard]] std::optional<double> last_bucket_end_s(const std::string& node) override;
  [[nodiscard]] std::string describe() const override { return safe_url_; }

 private:
  void connect();
  void exec(const std::string& sql);
  // Runs a statement with text parameters; throws InputError unless it succeeds.
  [[nodiscard]] std::unique_ptr<pg_result, void (*)(pg_result*)> query(
      const std::string& sql, const std::vector<std::string>& params);

  std::string url_;
  std::string safe_url_;  // without the password, for messages
  pg_conn* connection_ = nullptr;
};

// The URL with any password replaced by "***".
[[nodiscard]] std::string without_password(const std::string& url);

}  // namespace migpower
