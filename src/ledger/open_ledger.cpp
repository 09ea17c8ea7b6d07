#include "ledger/open_ledger.hpp"

#include <filesystem>

#include "core/error.hpp"
#include "ledger/postgres_ledger.hpp"

namespace migpower {

bool is_postgres_url(const std::string& target) {
  return target.starts_with("postgres://") || target.starts_with("postgresql://");
}

std::unique_ptr<LedgerStore> open_ledger(const std::string& target, SqliteLedger::Access access) {
  if (is_postgres_url(target)) return std::make_unique<PostgresLedger>(target);
  if (!std::filesystem::is_regular_file(target)) {
    throw InputError("no ledger file " + target +
                     " (a SQLite file an agent wrote with --ledger, or a postgresql:// URL)");
  }
  return std::make_unique<SqliteLedger>(target, access);
}

}  // namespace migpower
