#include "ledger/ledger_spool.hpp"

#include <sqlite3.h>

#include "core/error.hpp"
#include "ledger/bucket_json.hpp"

namespace migpower {
namespace {

std::int64_t single_integer(sqlite3* db, const char* sql) {
  sqlite3_stmt* statement = nullptr;
  std::int64_t value = 0;
  if (sqlite3_prepare_v2(db, sql, -1, &statement, nullptr) == SQLITE_OK &&
      sqlite3_step(statement) == SQLITE_ROW) {
    value = sqlite3_column_int64(statement, 0);
  }
  sqlite3_finalize(statement);
  return value;
}

}  // namespace

LedgerSpool::LedgerSpool(const std::string& path, std::size_t capacity)
    : db_(path), capacity_(capacity) {
  db_.exec(
      "CREATE TABLE IF NOT EXISTS spool (id INTEGER PRIMARY KEY AUTOINCREMENT, batch TEXT NOT "
      "NULL)");
}

std::size_t LedgerSpool::push(const BucketBatch& batch) {
  const std::string text = batch_to_json(batch).dump();
  sqlite3* db = db_.handle();
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO spool (batch) VALUES (?1)", -1, &statement, nullptr);
  sqlite3_bind_text(statement, 1, text.c_str(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  const int status = sqlite3_step(statement);
  sqlite3_finalize(statement);
  if (status != SQLITE_DONE) {
    throw InputError("spool " + db_.describe() + ": " + sqlite3_errmsg(db));
  }
  const auto held = static_cast<std::size_t>(single_integer(db, "SELECT count(*) FROM spool"));
  if (held <= capacity_) return 0;
  const std::size_t dropped = held - capacity_;
  db_.exec("DELETE FROM spool WHERE id IN (SELECT id FROM spool ORDER BY id LIMIT " +
           std::to_string(dropped) + ")");
  return dropped;
}

std::vector<std::pair<std::int64_t, BucketBatch>> LedgerSpool::oldest(std::size_t count) {
  std::vector<std::pair<std::int64_t, BucketBatch>> out;
  sqlite3* db = db_.handle();
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db, "SELECT id, batch FROM spool ORDER BY id LIMIT ?1", -1, &statement,
                     nullptr);
  sqlite3_bind_int64(statement, 1, static_cast<sqlite3_int64>(count));
  while (sqlite3_step(statement) == SQLITE_ROW) {
    const std::int64_t id = sqlite3_column_int64(statement, 0);
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 1));
    out.emplace_back(id, batch_from_json(nlohmann::json::parse(text)));
  }
  sqlite3_finalize(statement);
  return out;
}

void LedgerSpool::remove(std::int64_t id) {
  db_.exec("DELETE FROM spool WHERE id = " + std::to_string(id));
}

std::size_t LedgerSpool::size() {
  return static_cast<std::size_t>(single_integer(db_.handle(), "SELECT count(*) FROM spool"));
}

}  // namespace migpower
