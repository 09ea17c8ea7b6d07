#include "ledger/postgres_ledger.hpp"

#include <libpq-fe.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "ledger/ledger_read.hpp"

namespace migpower {
namespace {

// The same logical schema as sqlite_schema.cpp, in PostgreSQL's types; one step per version.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> steps = {
      R"sql(
CREATE TABLE card_energy (
  node text NOT NULL, gpu_uuid text NOT NULL, gpu_model text NOT NULL,
  bucket_start bigint NOT NULL, bucket_seconds bigint NOT NULL,
  segment_start double precision NOT NULL,
  measured_j double precision NOT NULL, unattributed_j double precision NOT NULL,
  frames bigint NOT NULL, method text NOT NULL, idle_policy text NOT NULL,
  migpower_version text NOT NULL,
  PRIMARY KEY (gpu_uuid, bucket_start, segment_start));
CREATE TABLE instance_energy (
  node text NOT NULL, gpu_uuid text NOT NULL, gpu_i_id integer NOT NULL,
  profile text NOT NULL, tenant text NOT NULL,
  bucket_start bigint NOT NULL, bucket_seconds bigint NOT NULL,
  segment_start double precision NOT NULL,
  energy_j double precision NOT NULL, static_j double precision NOT NULL,
  dynamic_j double precision NOT NULL, method text NOT NULL, idle_policy text NOT NULL,
  migpower_version text NOT NULL,
  PRIMARY KEY (gpu_uuid, gpu_i_id, profile, tenant, bucket_start, segment_start));
)sql",
      R"sql(
ALTER TABLE card_energy ADD COLUMN carbon_location_g double precision,
  ADD COLUMN carbon_market_g double precision, ADD COLUMN intensity_g_per_kwh double precision,
  ADD COLUMN carbon_source text NOT NULL DEFAULT 'none', ADD COLUMN cost double precision,
  ADD COLUMN currency text NOT NULL DEFAULT '';
ALTER TABLE instance_energy ADD COLUMN carbon_location_g double precision,
  ADD COLUMN carbon_market_g double precision, ADD COLUMN intensity_g_per_kwh double precision,
  ADD COLUMN carbon_source text NOT NULL DEFAULT 'none', ADD COLUMN cost double precision,
  ADD COLUMN currency text NOT NULL DEFAULT '';
)sql",
      R"sql(
CREATE INDEX instance_energy_by_time ON instance_energy (bucket_start);
CREATE INDEX card_energy_by_time ON card_energy (bucket_start);
CREATE VIEW tenant_energy_daily AS
  SELECT tenant, to_timestamp(bucket_start)::date AS day,
         sum(energy_j) / 3.6e6 AS energy_kwh,
         sum(carbon_location_g) / 1000.0 AS carbon_location_kg,
         sum(carbon_market_g) / 1000.0 AS carbon_market_kg,
         sum(cost) AS cost, max(currency) AS currency
  FROM instance_energy GROUP BY tenant, day;
)sql",
      R"sql(
CREATE TABLE ledger_retention (node text PRIMARY KEY, rolled_up_before bigint NOT NULL);
)sql",
  };
  return steps;
}

constexpr long long kMigrationLock = 0x6d6967706f776572;  // "migpower"

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", value);
  return buffer;
}

// Parameters as text, with NULL for a missing optional.
class Params {
 public:
  Params& text(std::string value) {
    values_.push_back(std::move(value));
    nulls_.push_back(false);
    return *this;
  }
  Params& real(double value) { return text(number(value)); }
  Params& integer(long long value) { return text(std::to_string(value)); }
  Params& optional(const std::optional<double>& value) {
    if (value) return real(*value);
    values_.emplace_back();
    nulls_.push_back(true);
    return *this;
  }
  Params& carbon(const BucketCarbon& c) {
    return optional(c.location_g)
        .optional(c.market_g)
        .optional(c.intensity_g_kwh)
        .text(c.carbon_source.empty() ? "none" : c.carbon_source)
        .optional(c.cost)
        .text(c.currency);
  }
  [[nodiscard]] std::vector<const char*> pointers() const {
    std::vector<const char*> out;
    for (std::size_t i = 0; i < values_.size(); ++i) {
      out.push_back(nulls_[i] ? nullptr : values_[i].c_str());
    }
    return out;
  }

 private:
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
};

}  // namespace

std::string without_password(const std::string& url) {
  // postgresql://user:password@host/db -> postgresql://user:***@host/db
  const std::size_t scheme = url.find("://");
  const std::size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
  const std::size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

PostgresLedger::PostgresLedger(const std::string& url)
    : url_(url), safe_url_(without_password(url)) {
  connect();
}

PostgresLedger::~PostgresLedger() { PQfinish(connection_); }

void PostgresLedger::connect() {
  PQfinish(connection_);
  connection_ = PQconnectdb(url_.c_str());
  if (PQstatus(connection_) != CONNECTION_OK) {
    const std::string message = PQerrorMessage(connection_);
    PQfinish(connection_);
    connection_ = nullptr;
    throw InputError("cannot connect to ledger " + safe_url_ + ": " + message);
  }
  exec("SET client_min_messages = warning");
  exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
  try {
    exec("CREATE TABLE IF NOT EXISTS migpower_schema (version integer NOT NULL)");
    Result version(PQexec(connection_, "SELECT max(version) FROM migpower_schema"), &PQclear);
    const char* text =
        PQgetisnull(version.get(), 0, 0) != 0 ? "0" : PQgetvalue(version.get(), 0, 0);
    const auto current = static_cast<std::size_t>(std::stoul(text));
    if (current > migrations().size()) {
      throw InputError("ledger " + safe_url_ + " has schema version " + std::to_string(current) +
                       ", newer than this migpower's " + std::to_string(migrations().size()));
    }
    for (std::size_t k = current; k < migrations().size(); ++k) {
      exec("BEGIN");
      exec(migrations()[k]);
      exec("INSERT INTO migpower_schema VALUES (" + std::to_string(k + 1) + ")");
      exec("COMMIT");
    }
  } catch (...) {
    PQclear(PQexec(connection_, "ROLLBACK"));
    PQclear(PQexec(connection_,
                   ("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")").c_str()));
    throw;
  }
  exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
}

void PostgresLedger::exec(const std::string& sql) {
  Result result(PQexec(connection_, sql.c_str()), &PQclear);
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw InputError("ledger " + safe_url_ + ": " + PQerrorMessage(connection_));
  }
}

std::unique_ptr<pg_result, void (*)(pg_result*)> PostgresLedger::query(
    const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const std::string& param : params) values.push_back(param.c_str());
  std::unique_ptr<pg_result, void (*)(pg_result*)> result(
      PQexecParams(connection_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                   values.data(), nullptr, nullptr, 0),
      &PQclear);
  const ExecStatusType status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw InputError("ledger " + safe_url_ + ": " + PQerrorMessage(connection_));
  }
  return result;
}

bool PostgresLedger::write(const BucketBatch& batch) {
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) connect();
  const BucketProvenance& p = batch.provenance;
  const auto run = [&](const char* sql, const Params& params) {
    const std::vector<const char*> values = params.pointers();
    Result result(PQexecParams(connection_, sql, static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0),
                  &PQclear);
    if (PQresultStatus(result.get()) != PGRES_COMMAND_OK) {
      throw InputError("ledger " + safe_url_ + ": " + PQerrorMessage(connection_));
    }
  };
  try {
    exec("BEGIN");
    // FOR SHARE: a roll-up of this node in progress holds the row; wait for its cutoff.
    const auto cutoff = query(rollup_cutoff_sql(SqlDialect::postgres) + " FOR SHARE", {p.node});
    if (PQntuples(cutoff.get()) > 0 &&
        batch.card.bucket_start_s < std::stoll(PQgetvalue(cutoff.get(), 0, 0))) {
      exec("ROLLBACK");
      return false;
    }
    const CardBucket& c = batch.card;
    run("INSERT INTO card_energy (node, gpu_uuid, gpu_model, bucket_start, bucket_seconds, "
        "segment_start, measured_j, unattributed_j, frames, method, idle_policy, "
        "migpower_version, carbon_location_g, carbon_market_g, intensity_g_per_kwh, "
        "carbon_source, cost, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
        "$12, $13, $14, $15, $16, $17, $18) ON CONFLICT DO NOTHING",
        Params()
            .text(p.node)
            .text(c.gpu_uuid)
            .text(c.gpu_model)
            .integer(c.bucket_start_s)
            .integer(c.bucket_seconds)
            .real(c.segment_start_s)
            .real(c.measured_j)
            .real(c.unattributed_j)
            .integer(c.frames)
            .text(p.method)
            .text(p.idle_policy)
            .text(p.migpower_version)
            .carbon(c.carbon));
    for (const InstanceBucket& i : batch.instances) {
      run("INSERT INTO instance_energy (node, gpu_uuid, gpu_i_id, profile, tenant, bucket_start, "
          "bucket_seconds, segment_start, energy_j, static_j, dynamic_j, method, idle_policy, "
          "migpower_version, carbon_location_g, carbon_market_g, intensity_g_per_kwh, "
          "carbon_source, cost, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
          "$12, $13, $14, $15, $16, $17, $18, $19, $20) ON CONFLICT DO NOTHING",
          Params()
              .text(p.node)
              .text(i.gpu_uuid)
              .integer(i.gpu_i_id)
              .text(i.profile)
              .text(i.tenant)
              .integer(i.bucket_start_s)
              .integer(i.bucket_seconds)
              .real(i.segment_start_s)
              .real(i.energy_j)
              .real(i.static_j)
              .real(i.dynamic_j)
              .text(p.method)
              .text(p.idle_policy)
              .text(p.migpower_version)
              .carbon(i.carbon));
    }
    exec("COMMIT");
  } catch (...) {
    if (connection_ != nullptr) PQclear(PQexec(connection_, "ROLLBACK"));
    throw;
  }
  return true;
}

LedgerTotals PostgresLedger::totals(const std::string& node) {
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) connect();
  LedgerTotals totals;
  const char* values[] = {node.c_str()};
  Result instances(PQexecParams(connection_,
                                "SELECT gpu_uuid, gpu_i_id, profile, sum(energy_j), sum(static_j), "
                                "sum(dynamic_j) FROM instance_energy WHERE $1 = '' OR node = $1 "
                                "GROUP BY gpu_uuid, gpu_i_id, profile",
                                1, nullptr, values, nullptr, nullptr, 0),
                   &PQclear);
  if (PQresultStatus(instances.get()) != PGRES_TUPLES_OK) {
    throw InputError("ledger " + safe_url_ + ": " + PQerrorMessage(connection_));
  }
  for (int r = 0; r < PQntuples(instances.get()); ++r) {
    totals
        .instances[{PQgetvalue(instances.get(), r, 0), std::stoi(PQgetvalue(instances.get(), r, 1)),
                    PQgetvalue(instances.get(), r, 2)}] = {
        std::stod(PQgetvalue(instances.get(), r, 3)), std::stod(PQgetvalue(instances.get(), r, 4)),
        std::stod(PQgetvalue(instances.get(), r, 5))};
  }
  Result cards(PQexecParams(connection_,
                            "SELECT gpu_uuid, sum(measured_j) FROM card_energy WHERE $1 = '' OR "
                            "node = $1 GROUP BY gpu_uuid",
                            1, nullptr, values, nullptr, nullptr, 0),
               &PQclear);
  if (PQresultStatus(cards.get()) != PGRES_TUPLES_OK) {
    throw InputError("ledger " + safe_url_ + ": " + PQerrorMessage(connection_));
  }
  for (int r = 0; r < PQntuples(cards.get()); ++r) {
    totals.cards_measured_j[PQgetvalue(cards.get(), r, 0)] =
        std::stod(PQgetvalue(cards.get(), r, 1));
  }
  return totals;
}

}  // namespace migpower

namespace migpower {
namespace {

std::optional<double> optional_value(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column) != 0) return std::nullopt;
  return std::stod(PQgetvalue(result, row, column));
}

BucketCarbon carbon_values(const PGresult* result, int row, int first) {
  return {optional_value(result, row, first),     optional_value(result, row, first + 1),
          optional_value(result, row, first + 2), PQgetvalue(result, row, first + 3),
          optional_value(result, row, first + 4), PQgetvalue(result, row, first + 5)};
}

}  // namespace

std::vector<BucketBatch> PostgresLedger::read(std::optional<double> from_s,
                                              std::optional<double> to_s) {
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) connect();
  const std::string from = number(from_s.value_or(-1e300));
  const std::string to = number(to_s.value_or(1e300));
  const char* values[] = {from.c_str(), to.c_str()};
  const std::string carbon =
      "carbon_location_g, carbon_market_g, intensity_g_per_kwh, carbon_source, cost, currency";
  const std::string where = " WHERE bucket_start >= $1::float8 AND bucket_start < $2::float8 ";
  const std::string order = " ORDER BY bucket_start, segment_start, gpu_uuid";
  const auto query = [&](const std::string& sql) {
    Result result(PQexecParams(connection_, sql.c_str(), 2, nullptr, values, nullptr, nullptr, 0),
                  &PQclear);
    if (PQresultStatus(result.get()) != PGRES_TUPLES_OK) {
      throw InputError("ledger " + safe_url_ + ": " + PQerrorMessage(connection_));
    }
    return result;
  };
  BatchAssembler batches;
  const Result cards = query(
      "SELECT node, method, idle_policy, migpower_version, gpu_uuid, gpu_model, bucket_start, "
      "bucket_seconds, segment_start, measured_j, unattributed_j, frames, " +
      carbon + " FROM card_energy" + where + order);
  for (int r = 0; r < PQntuples(cards.get()); ++r) {
    const PGresult* c = cards.get();
    BucketBatch batch;
    batch.provenance = {PQgetvalue(c, r, 0), PQgetvalue(c, r, 1), PQgetvalue(c, r, 2),
                        PQgetvalue(c, r, 3)};
    batch.card = CardBucket{PQgetvalue(c, r, 4),
                            PQgetvalue(c, r, 5),
                            std::stoll(PQgetvalue(c, r, 6)),
                            std::stoll(PQgetvalue(c, r, 7)),
                            std::stod(PQgetvalue(c, r, 8)),
                            std::stod(PQgetvalue(c, r, 9)),
                            std::stod(PQgetvalue(c, r, 10)),
                            std::stoll(PQgetvalue(c, r, 11)),
                            carbon_values(c, r, 12)};
    batches.add_card(std::move(batch));
  }
  const Result instances = query(
      "SELECT gpu_uuid, gpu_i_id, profile, tenant, bucket_start, bucket_seconds, segment_start, "
      "energy_j, static_j, dynamic_j, " +
      carbon + " FROM instance_energy" + where + order + ", gpu_i_id");
  for (int r = 0; r < PQntuples(instances.get()); ++r) {
    const PGresult* i = instances.get();
    InstanceBucket instance;
    instance.gpu_uuid = PQgetvalue(i, r, 0);
    instance.gpu_i_id = std::stoi(PQgetvalue(i, r, 1));
    instance.profile = PQgetvalue(i, r, 2);
    instance.tenant = PQgetvalue(i, r, 3);
    instance.bucket_start_s = std::stoll(PQgetvalue(i, r, 4));
    instance.bucket_seconds = std::stoll(PQgetvalue(i, r, 5));
    instance.segment_start_s = std::stod(PQgetvalue(i, r, 6));
    instance.energy_j = std::stod(PQgetvalue(i, r, 7));
    instance.static_j = std::stod(PQgetvalue(i, r, 8));
    instance.dynamic_j = std::stod(PQgetvalue(i, r, 9));
    instance.carbon = carbon_values(i, r, 10);
    batches.add_instance(instance);
  }
  return batches.take();
}

}  // namespace migpower

namespace migpower {

std::vector<EnergySum> PostgresLedger::sum_energy(const EnergyQuery& energy_query) {
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) connect();
  const auto result = query(
      energy_query_sql(energy_query.group_by, SqlDialect::postgres),
      {number(energy_query.from_s.value_or(-1e300)), number(energy_query.to_s.value_or(1e300))});
  const PGresult* r = result.get();
  const auto keys = static_cast<int>(grouping_keys(energy_query.group_by).size());
  const auto real = [r](int row, int column) { return std::stod(PQgetvalue(r, row, column)); };
  std::vector<EnergySum> sums;
  for (int row = 0; row < PQntuples(r); ++row) {
    EnergySum sum;
    for (int k = 0; k < keys; ++k) sum.key.emplace_back(PQgetvalue(r, row, k));
    sum.energy_j = real(row, keys);
    sum.static_j = real(row, keys + 1);
    sum.dynamic_j = real(row, keys + 2);
    sum.carbon_location_g = optional_value(r, row, keys + 3);
    sum.carbon_market_g = optional_value(r, row, keys + 4);
    sum.cost = optional_value(r, row, keys + 5);
    sum.currency = PQgetvalue(r, row, keys + 6);
    sum.energy_without_carbon_j = real(row, keys + 7);
    sum.first_s = real(row, keys + 8);
    sum.last_s = real(row, keys + 9);
    sum.segments = std::stoll(PQgetvalue(r, row, keys + 10));
    sums.push_back(std::move(sum));
  }
  return sums;
}

RollupResult PostgresLedger::roll_up(const std::string& node, std::int64_t before_s) {
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) connect();
  RollupResult result;
  result.before_s = rollup_hour(before_s);
  const std::vector<std::string> params = {node, std::to_string(result.before_s)};
  const RollupStatements statements = rollup_sql(SqlDialect::postgres);
  try {
    exec("BEGIN");
    auto steps = statements.steps.begin();
    (void)query(*steps++, params);  // the cutoff first: it locks the node's row
    const auto count = query(rollup_count_sql(SqlDialect::postgres), params);
    result.card_rows_before = std::stoll(PQgetvalue(count.get(), 0, 0));
    result.instance_rows_before = std::stoll(PQgetvalue(count.get(), 0, 1));
    for (; steps != statements.steps.end(); ++steps) {
      // The moves from the temporary tables take no parameters, and PostgreSQL refuses extras.
      const bool parameters = steps->find('$') != std::string::npos;
      (void)query(*steps, parameters ? params : std::vector<std::string>{});
    }
    const auto rolled = query(statements.rolled_counts, {});
    result.card_rows_after = std::stoll(PQgetvalue(rolled.get(), 0, 0));
    result.instance_rows_after = std::stoll(PQgetvalue(rolled.get(), 0, 1));
    for (const std::string& step : statements.cleanup) exec(step);
    exec("COMMIT");
  } catch (...) {
    if (connection_ != nullptr) PQclear(PQexec(connection_, "ROLLBACK"));
    throw;
  }
  return result;
}

std::vector<std::string> PostgresLedger::nodes() {
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) connect();
  const auto result = query("SELECT DISTINCT node FROM card_energy ORDER BY node", {});
  std::vector<std::string> names;
  names.reserve(static_cast<std::size_t>(PQntuples(result.get())));
  for (int row = 0; row < PQntuples(result.get()); ++row) {
    names.emplace_back(PQgetvalue(result.get(), row, 0));
  }
  return names;
}

std::optional<double> PostgresLedger::last_bucket_end_s(const std::string& node) {
  if (connection_ == nullptr || PQstatus(connection_) != CONNECTION_OK) connect();
  const auto result =
      query("SELECT max(bucket_start + bucket_seconds) FROM card_energy WHERE node = $1", {node});
  return optional_value(result.get(), 0, 0);
}

}  // namespace migpower
