// The node's SQLite ledger, on a real file: a batch written twice is stored once, the totals
// sum what is stored, and a file of every earlier schema version migrates with its rows kept.

#include "ledger/sqlite_ledger.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "core/error.hpp"

namespace migpower {
namespace {

BucketBatch batch(std::int64_t bucket_start, double segment_start, double joules) {
  BucketBatch batch;
  batch.provenance = {"node-1", "online", "slices", "0.1.0"};
  batch.card = CardBucket{
      "GPU-a", "NVIDIA A100-SXM4-40GB", bucket_start, 60, segment_start, joules + 5.0, 5.0, 60, {}};
  for (int id : {1, 2}) {
    InstanceBucket instance;
    instance.gpu_uuid = "GPU-a";
    instance.gpu_i_id = id;
    instance.profile = id == 1 ? "3g.20gb" : "4g.20gb";
    instance.bucket_start_s = bucket_start;
    instance.segment_start_s = segment_start;
    instance.energy_j = joules / 2.0;
    instance.static_j = joules / 8.0;
    instance.dynamic_j = 3.0 * joules / 8.0;
    instance.carbon.location_g = joules / 2.0 / 3.6e6 * 400.0;
    instance.carbon.carbon_source = "constant 400 gCO2e/kWh";
    batch.instances.push_back(instance);
  }
  return batch;
}

class SqliteLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("migpower-ledger-" + std::to_string(::getpid()) + "-" +
              ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db"))
                .string();
  }
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::int64_t count(SqliteLedger& ledger, const std::string& table) {
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(ledger.handle(), ("SELECT count(*) FROM " + table).c_str(), -1, &statement,
                       nullptr);
    sqlite3_step(statement);
    const std::int64_t n = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return n;
  }
  std::string path_;
};

TEST_F(SqliteLedgerTest, ABatchWrittenTwiceIsStoredOnce) {
  SqliteLedger ledger(path_);
  ledger.write(batch(60, 60.0, 1000.0));
  ledger.write(batch(60, 60.0, 1000.0));  // a retry, or a replay of the same trace
  ledger.write(batch(60, 60.0, 7777.0));  // a second agent's copy of the same segment
  ledger.write(batch(120, 120.0, 2000.0));
  ledger.write(batch(120, 150.0, 500.0));  // a restart inside the bucket: a second segment
  EXPECT_EQ(count(ledger, "card_energy"), 3);
  EXPECT_EQ(count(ledger, "instance_energy"), 6);
  const LedgerTotals totals = ledger.totals("node-1");
  EXPECT_DOUBLE_EQ(totals.cards_measured_j.at("GPU-a"), 1005.0 + 2005.0 + 505.0);
  const auto& first = totals.instances.at({"GPU-a", 1, "3g.20gb"});
  EXPECT_DOUBLE_EQ(first.energy_j, 500.0 + 1000.0 + 250.0);
  EXPECT_DOUBLE_EQ(first.static_j + first.dynamic_j, first.energy_j);
  EXPECT_TRUE(ledger.totals("another-node").instances.empty());
}

TEST_F(SqliteLedgerTest, TheFileIsInWalModeAtTheLatestSchema) {
  SqliteLedger ledger(path_);
  EXPECT_EQ(ledger.schema_version(), static_cast<int>(sqlite_ledger_migrations().size()));
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(ledger.handle(), "PRAGMA journal_mode", -1, &statement, nullptr);
  sqlite3_step(statement);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)), "wal");
  sqlite3_finalize(statement);
}

// For each earlier version k: a file made by the first k migrations, with a row of each table
// where the tables exist, opens at the latest version with those rows intact.
TEST_F(SqliteLedgerTest, AFileOfEveryEarlierVersionMigratesKeepingItsRows) {
  const auto& migrations = sqlite_ledger_migrations();
  for (std::size_t version = 0; version < migrations.size(); ++version) {
    TearDown();
    {
      sqlite3* db = nullptr;
      ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
      for (std::size_t k = 0; k < version; ++k) {
        ASSERT_EQ(sqlite3_exec(db, migrations[k].c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
      }
      if (version >= 1) {
        const char* rows =
            "INSERT INTO card_energy (node, gpu_uuid, gpu_model, bucket_start, bucket_seconds, "
            "segment_start, measured_j, unattributed_j, frames, method, idle_policy, "
            "migpower_version) VALUES ('n', 'GPU-old', 'm', 0, 60, 0, 42, 0, 60, 'online', "
            "'slices', '0.0.1');"
            "INSERT INTO instance_energy (node, gpu_uuid, gpu_i_id, profile, tenant, "
            "bucket_start, bucket_seconds, segment_start, energy_j, static_j, dynamic_j, method, "
            "idle_policy, migpower_version) VALUES ('n', 'GPU-old', 1, '7g.40gb', '', 0, 60, 0, "
            "42, 10, 32, 'online', 'slices', '0.0.1');";
        ASSERT_EQ(sqlite3_exec(db, rows, nullptr, nullptr, nullptr), SQLITE_OK);
      }
      ASSERT_EQ(sqlite3_exec(db, ("PRAGMA user_version=" + std::to_string(version)).c_str(),
                             nullptr, nullptr, nullptr),
                SQLITE_OK);
      sqlite3_close(db);
    }
    SqliteLedger ledger(path_);
    EXPECT_EQ(ledger.schema_version(), static_cast<int>(migrations.size())) << "from " << version;
    ledger.write(batch(60, 60.0, 1000.0));  // the newest columns are there
    const LedgerTotals totals = ledger.totals("");
    EXPECT_EQ(totals.cards_measured_j.count("GPU-old"), version >= 1 ? 1u : 0u) << version;
    EXPECT_EQ(totals.cards_measured_j.at("GPU-a"), 1005.0);
  }
}

// A query never upgrades a file that an older agent may still be writing.
TEST_F(SqliteLedgerTest, ReadOnlyOpensAnOlderFileAsItIs) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    for (std::size_t k = 0; k < 2; ++k) {
      ASSERT_EQ(sqlite3_exec(db, sqlite_ledger_migrations()[k].c_str(), nullptr, nullptr, nullptr),
                SQLITE_OK);
    }
    sqlite3_exec(db, "PRAGMA user_version=2", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  {
    SqliteLedger reader(path_, SqliteLedger::Access::read_only);
    EXPECT_EQ(reader.schema_version(), 2);
    EXPECT_TRUE(reader.sum_energy({}).empty());
  }
  SqliteLedger writer(path_);
  EXPECT_EQ(writer.schema_version(), static_cast<int>(sqlite_ledger_migrations().size()));
  try {
    SqliteLedger missing(path_ + ".nothing", SqliteLedger::Access::read_only);
    FAIL() << "opened a file that is not there";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("cannot open ledger"), std::string::npos);
  }
}

TEST_F(SqliteLedgerTest, AFileFromANewerMigpowerIsRefused) {
  {
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  try {
    SqliteLedger ledger(path_);
    FAIL() << "opened";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("schema version 99, newer than"), std::string::npos);
  }
}

}  // namespace
}  // namespace migpower
