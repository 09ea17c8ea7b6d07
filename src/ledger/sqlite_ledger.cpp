#include "ledger/sqlite_ledger.hpp"

#include <sqlite3.h>

#include <limits>
#include <memory>

#include "core/error.hpp"
#include "ledger/ledger_read.hpp"

namespace migpower {
namespace {

// A prepared statement, finalized on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql, const std::string& where) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &statement_, nullptr) != SQLITE_OK) {
      throw InputError(where + ": " + sqlite3_errmsg(db));
    }
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& text(int index, const std::string& value) {
    sqlite3_bind_text(statement_, index, value.c_str(), static_cast<int>(value.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Statement& integer(int index, std::int64_t value) {
    sqlite3_bind_int64(statement_, index, value);
    return *this;
  }
  Statement& real(int index, double value) {
    sqlite3_bind_double(statement_, index, value);
    return *this;
  }
  Statement& optional(int index, const std::optional<double>& value) {
    if (value) return real(index, *value);
    sqlite3_bind_null(statement_, index);
    return *this;
  }
  // Runs to completion; throws on an error.
  void run(const std::string& where) {
    if (sqlite3_step(statement_) != SQLITE_DONE) {
      throw InputError(where + ": " + sqlite3_errmsg(db_));
    }
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }
  bool row() { return sqlite3_step(statement_) == SQLITE_ROW; }
  [[nodiscard]] std::string column_text(int index) const {
    const auto* text = sqlite3_column_text(statement_, index);
    return text == nullptr ? std::string() : reinterpret_cast<const char*>(text);
  }
  [[nodiscard]] double column_real(int index) const {
    return sqlite3_column_double(statement_, index);
  }
  [[nodiscard]] std::int64_t column_integer(int index) const {
    return sqlite3_column_int64(statement_, index);
  }
  [[nodiscard]] std::optional<double> column_optional(int index) const {
    if (sqlite3_column_type(statement_, index) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_double(statement_, index);
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

void bind_carbon(Statement& statement, int first, const BucketCarbon& carbon) {
  statement.optional(first, carbon.location_g)
      .optional(first + 1, carbon.market_g)
      .optional(first + 2, carbon.intensity_g_kwh)
      .text(first + 3, carbon.carbon_source.empty() ? "none" : carbon.carbon_source)
      .optional(first + 4, carbon.cost)
      .text(first + 5, carbon.currency);
}

}  // namespace

SqliteLedger::SqliteLedger(const std::string& path, Access access) : path_(path) {
  const bool read_only = access == Access::read_only;
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw InputError("cannot open ledger " + path + ": " + message);
  }
  sqlite3_busy_timeout(db_, 5000);  // another process (a query) may hold the lock briefly
  try {
    const auto& migrations = sqlite_ledger_migrations();
    const int version = schema_version();
    if (version > static_cast<int>(migrations.size())) {
      throw InputError("ledger " + path + " has schema version " + std::to_string(version) +
                       ", newer than this migpower's " + std::to_string(migrations.size()));
    }
    if (read_only) {
      // Version 2 added carbon and cost, which every query reads.
      if (version < 2) {
        throw InputError("ledger " + path + " has schema version " + std::to_string(version) +
                         " (not a migpower ledger, or one too old to read without migrating; "
                         "an agent with --ledger migrates it)");
      }
      return;
    }
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=FULL");
    for (auto k = static_cast<std::size_t>(version); k < migrations.size(); ++k) {
      exec("BEGIN IMMEDIATE");
      try {
        exec(migrations[k]);
        exec("PRAGMA user_version=" + std::to_string(k + 1));
        exec("COMMIT");
      } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

SqliteLedger::~SqliteLedger() { sqlite3_close(db_); }

void SqliteLedger::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error != nullptr ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    throw InputError("ledger " + path_ + ": " + message);
  }
}

int SqliteLedger::schema_version() {
  Statement statement(db_, "PRAGMA user_version", "ledger " + path_);
  return statement.row() ? static_cast<int>(statement.column_integer(0)) : 0;
}

bool SqliteLedger::write(const BucketBatch& batch) {
  const std::string where = "ledger " + path_;
  const BucketProvenance& p = batch.provenance;
  exec("BEGIN IMMEDIATE");
  try {
    if (batch.card.bucket_start_s < rolled_up_before(p.node)) {
      exec("ROLLBACK");
      return false;
    }
    Statement card(db_,
                   "INSERT INTO card_energy (node, gpu_uuid, gpu_model, bucket_start, "
                   "bucket_seconds, segment_start, measured_j, unattributed_j, frames, method, "
                   "idle_policy, migpower_version, carbon_location_g, carbon_market_g, "
                   "intensity_g_per_kwh, carbon_source, cost, currency) VALUES (?1, ?2, ?3, ?4, "
                   "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18) "
                   "ON CONFLICT DO NOTHING",
                   where);
    const CardBucket& c = batch.card;
    card.text(1, p.node)
        .text(2, c.gpu_uuid)
        .text(3, c.gpu_model)
        .integer(4, c.bucket_start_s)
        .integer(5, c.bucket_seconds)
        .real(6, c.segment_start_s)
        .real(7, c.measured_j)
        .real(8, c.unattributed_j)
        .integer(9, c.frames)
        .text(10, p.method)
        .text(11, p.idle_policy)
        .text(12, p.migpower_version);
    bind_carbon(card, 13, c.carbon);
    card.run(where);
    Statement instance(db_,
                       "INSERT INTO instance_energy (node, gpu_uuid, gpu_i_id, profile, tenant, "
                       "bucket_start, bucket_seconds, segment_start, energy_j, static_j, "
                       "dynamic_j, method, idle_policy, migpower_version, carbon_location_g, "
                       "carbon_market_g, intensity_g_per_kwh, carbon_source, cost, currency) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, "
                       "?15, ?16, ?17, ?18, ?19, ?20) ON CONFLICT DO NOTHING",
                       where);
    for (const InstanceBucket& i : batch.instances) {
      instance.text(1, p.node)
          .text(2, i.gpu_uuid)
          .integer(3, i.gpu_i_id)
          .text(4, i.profile)
          .text(5, i.tenant)
          .integer(6, i.bucket_start_s)
          .integer(7, i.bucket_seconds)
          .real(8, i.segment_start_s)
          .real(9, i.energy_j)
          .real(10, i.static_j)
          .real(11, i.dynamic_j)
          .text(12, p.method)
          .text(13, p.idle_policy)
          .text(14, p.migpower_version);
      bind_carbon(instance, 15, i.carbon);
      instance.run(where);
    }
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return true;
}

std::int64_t SqliteLedger::rolled_up_before(const std::string& node) {
  Statement cutoff(db_, rollup_cutoff_sql(SqlDialect::sqlite).c_str(), "ledger " + path_);
  cutoff.text(1, node);
  return cutoff.row() ? cutoff.column_integer(0) : std::numeric_limits<std::int64_t>::min();
}

LedgerTotals SqliteLedger::totals(const std::string& node) {
  const std::string where = "ledger " + path_;
  LedgerTotals totals;
  Statement instances(db_,
                      "SELECT gpu_uuid, gpu_i_id, profile, sum(energy_j), sum(static_j), "
                      "sum(dynamic_j) FROM instance_energy WHERE ?1 = '' OR node = ?1 "
                      "GROUP BY gpu_uuid, gpu_i_id, profile",
                      where);
  instances.text(1, node);
  while (instances.row()) {
    totals.instances[{instances.column_text(0), static_cast<int>(instances.column_integer(1)),
                      instances.column_text(2)}] = {
        instances.column_real(3), instances.column_real(4), instances.column_real(5)};
  }
  Statement cards(db_,
                  "SELECT gpu_uuid, sum(measured_j) FROM card_energy WHERE ?1 = '' OR node = ?1 "
                  "GROUP BY gpu_uuid",
                  where);
  cards.text(1, node);
  while (cards.row()) totals.cards_measured_j[cards.column_text(0)] = cards.column_real(1);
  return totals;
}

}  // namespace migpower

namespace migpower {
namespace {

constexpr const char* kCarbonColumns =
    "carbon_location_g, carbon_market_g, intensity_g_per_kwh, carbon_source, cost, currency";

std::optional<double> optional_column(sqlite3_stmt* statement, int index) {
  if (sqlite3_column_type(statement, index) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_double(statement, index);
}

std::string text_column(sqlite3_stmt* statement, int index) {
  const auto* text = sqlite3_column_text(statement, index);
  return text == nullptr ? std::string() : reinterpret_cast<const char*>(text);
}

BucketCarbon carbon_columns(sqlite3_stmt* statement, int first) {
  return {optional_column(statement, first),     optional_column(statement, first + 1),
          optional_column(statement, first + 2), text_column(statement, first + 3),
          optional_column(statement, first + 4), text_column(statement, first + 5)};
}

}  // namespace

std::vector<BucketBatch> SqliteLedger::read(std::optional<double> from_s,
                                            std::optional<double> to_s) {
  const std::string where = " WHERE bucket_start >= ?1 AND bucket_start < ?2 ";
  const std::string order = " ORDER BY bucket_start, segment_start, gpu_uuid";
  const auto bind_period = [&](sqlite3_stmt* statement) {
    sqlite3_bind_double(statement, 1, from_s.value_or(-1e300));
    sqlite3_bind_double(statement, 2, to_s.value_or(1e300));
  };
  const auto prepare = [&](const std::string& sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) {
      throw InputError("ledger " + path_ + ": " + sqlite3_errmsg(db_));
    }
    bind_period(statement);
    return std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)>(statement, &sqlite3_finalize);
  };
  BatchAssembler batches;
  const auto cards = prepare(
      std::string("SELECT node, method, idle_policy, migpower_version, gpu_uuid, gpu_model, "
                  "bucket_start, bucket_seconds, segment_start, measured_j, unattributed_j, "
                  "frames, ") +
      kCarbonColumns + " FROM card_energy" + where + order);
  while (sqlite3_step(cards.get()) == SQLITE_ROW) {
    sqlite3_stmt* row = cards.get();
    BucketBatch batch;
    batch.provenance = {text_column(row, 0), text_column(row, 1), text_column(row, 2),
                        text_column(row, 3)};
    batch.card = CardBucket{text_column(row, 4),
                            text_column(row, 5),
                            sqlite3_column_int64(row, 6),
                            sqlite3_column_int64(row, 7),
                            sqlite3_column_double(row, 8),
                            sqlite3_column_double(row, 9),
                            sqlite3_column_double(row, 10),
                            sqlite3_column_int64(row, 11),
                            carbon_columns(row, 12)};
    batches.add_card(std::move(batch));
  }
  const auto instances = prepare(
      std::string("SELECT gpu_uuid, gpu_i_id, profile, tenant, bucket_start, bucket_seconds, "
                  "segment_start, energy_j, static_j, dynamic_j, ") +
      kCarbonColumns + " FROM instance_energy" + where + order + ", gpu_i_id");
  while (sqlite3_step(instances.get()) == SQLITE_ROW) {
    sqlite3_stmt* row = instances.get();
    InstanceBucket instance;
    instance.gpu_uuid = text_column(row, 0);
    instance.gpu_i_id = sqlite3_column_int(row, 1);
    instance.profile = text_column(row, 2);
    instance.tenant = text_column(row, 3);
    instance.bucket_start_s = sqlite3_column_int64(row, 4);
    instance.bucket_seconds = sqlite3_column_int64(row, 5);
    instance.segment_start_s = sqlite3_column_double(row, 6);
    instance.energy_j = sqlite3_column_double(row, 7);
    instance.static_j = sqlite3_column_double(row, 8);
    instance.dynamic_j = sqlite3_column_double(row, 9);
    instance.carbon = carbon_columns(row, 10);
    batches.add_instance(instance);
  }
  return batches.take();
}

}  // namespace migpower

namespace migpower {

std::vector<EnergySum> SqliteLedger::sum_energy(const EnergyQuery& query) {
  const std::string where = "ledger " + path_;
  Statement statement(db_, energy_query_sql(query.group_by, SqlDialect::sqlite).c_str(), where);
  statement.real(1, query.from_s.value_or(-1e300)).real(2, query.to_s.value_or(1e300));
  const auto keys = static_cast<int>(grouping_keys(query.group_by).size());
  std::vector<EnergySum> sums;
  while (statement.row()) {
    EnergySum sum;
    for (int k = 0; k < keys; ++k) sum.key.push_back(statement.column_text(k));
    sum.energy_j = statement.column_real(keys);
    sum.static_j = statement.column_real(keys + 1);
    sum.dynamic_j = statement.column_real(keys + 2);
    sum.carbon_location_g = statement.column_optional(keys + 3);
    sum.carbon_market_g = statement.column_optional(keys + 4);
    sum.cost = statement.column_optional(keys + 5);
    sum.currency = statement.column_text(keys + 6);
    sum.energy_without_carbon_j = statement.column_real(keys + 7);
    sum.first_s = statement.column_real(keys + 8);
    sum.last_s = statement.column_real(keys + 9);
    sum.segments = statement.column_integer(keys + 10);
    sums.push_back(std::move(sum));
  }
  return sums;
}

RollupResult SqliteLedger::roll_up(const std::string& node, std::int64_t before_s) {
  const std::string where = "ledger " + path_;
  RollupResult result;
  result.before_s = rollup_hour(before_s);
  const RollupStatements statements = rollup_sql(SqlDialect::sqlite);
  exec("BEGIN IMMEDIATE");
  try {
    {  // each statement finalized before the temporary tables are dropped
      Statement count(db_, rollup_count_sql(SqlDialect::sqlite).c_str(), where);
      count.text(1, node).integer(2, result.before_s);
      if (count.row()) {
        result.card_rows_before = count.column_integer(0);
        result.instance_rows_before = count.column_integer(1);
      }
    }
    for (const std::string& step : statements.steps) {
      Statement statement(db_, step.c_str(), where);
      statement.text(1, node).integer(2, result.before_s).run(where);
    }
    {
      Statement rolled(db_, statements.rolled_counts.c_str(), where);
      if (rolled.row()) {
        result.card_rows_after = rolled.column_integer(0);
        result.instance_rows_after = rolled.column_integer(1);
      }
    }
    for (const std::string& step : statements.cleanup) exec(step);
    exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  return result;
}

std::vector<std::string> SqliteLedger::nodes() {
  Statement statement(db_, "SELECT DISTINCT node FROM card_energy ORDER BY node",
                      "ledger " + path_);
  std::vector<std::string> names;
  while (statement.row()) names.push_back(statement.column_text(0));
  return names;
}

std::optional<double> SqliteLedger::last_bucket_end_s(const std::string& node) {
  Statement statement(db_,
                      "SELECT max(bucket_start + bucket_seconds) FROM card_energy WHERE node = ?1",
                      "ledger " + path_);
  statement.text(1, node);
  return statement.row() ? statement.column_optional(0) : std::nullopt;
}

}  // namespace migpower
