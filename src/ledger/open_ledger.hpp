#pragma once

#include <memory>
#include <string>

#include "ledger/ledger_store.hpp"
#include "ledger/sqlite_ledger.hpp"

namespace migpower {

// Whether `target` names a PostgreSQL database (postgres:// or postgresql://) rather than a file.
[[nodiscard]] bool is_postgres_url(const std::string& target);

// The ledger `target` names: a PostgreSQL URL, or an existing SQLite file (never created here:
// a mistyped path is an error, not a new empty ledger). Throws InputError.
[[nodiscard]] std::unique_ptr<LedgerStore> open_ledger(
    const std::string& target, SqliteLedger::Access access = SqliteLedger::Access::read_only);

}  // namespace migpower
