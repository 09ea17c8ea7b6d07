// The fleet ledger on a real PostgreSQL server answers every query and every roll-up exactly as
// the node's SQLite file does for the same batches: the two dialects of the same SQL agree.

#include "ledger/postgres_ledger.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "ledger/ledger_fixture.hpp"
#include "ledger/sqlite_ledger.hpp"
#include "postgres_server.hpp"

namespace migpower {
namespace {

using test::kLedgerStart;

void expect_same(const std::vector<EnergySum>& sqlite, const std::vector<EnergySum>& postgres) {
  ASSERT_EQ(sqlite.size(), postgres.size());
  for (std::size_t k = 0; k < sqlite.size(); ++k) {
    const EnergySum& a = sqlite[k];
    const EnergySum& b = postgres[k];
    EXPECT_EQ(a.key, b.key);
    EXPECT_NEAR(a.energy_j, b.energy_j, 1e-9 * a.energy_j);
    EXPECT_NEAR(a.dynamic_j, b.dynamic_j, 1e-9 * a.energy_j);
    EXPECT_EQ(a.carbon_location_g.has_value(), b.carbon_location_g.has_value());
    EXPECT_NEAR(a.carbon_location_g.value_or(0), b.carbon_location_g.value_or(0), 1e-6);
    EXPECT_NEAR(a.carbon_market_g.value_or(0), b.carbon_market_g.value_or(0), 1e-6);
    EXPECT_NEAR(a.cost.value_or(0), b.cost.value_or(0), 1e-9);
    EXPECT_EQ(a.currency, b.currency);
    EXPECT_NEAR(a.energy_without_carbon_j, b.energy_without_carbon_j, 1e-6);
    EXPECT_EQ(a.first_s, b.first_s);
    EXPECT_EQ(a.last_s, b.last_s);
    EXPECT_EQ(a.segments, b.segments);
  }
}

TEST(PostgresLedgerTest, QueriesAndRollUpsAgreeWithTheSqliteLedger) {
  const auto folder =
      std::filesystem::temp_directory_path() / ("migpower-pg-ledger-" + std::to_string(::getpid()));
  test::PostgresServer server(folder / "postgres");
  ASSERT_TRUE(server.found()) << "scripts/install-deps installs postgresql";
  ASSERT_TRUE(server.start()) << server.error();
  test::TempLedgerFile file("pg-parity");
  SqliteLedger sqlite(file.path());
  PostgresLedger postgres(server.url());
  for (const std::string node : {"node-1", "node-2"}) {
    for (const BucketBatch& batch : test::ledger_fixture(node)) {
      ASSERT_TRUE(sqlite.write(batch));
      ASSERT_TRUE(postgres.write(batch));
    }
  }
  // node-2 repeats node-1's card: on one key, its copies are no-ops in both stores.
  const auto compare = [&](std::optional<double> from, std::optional<double> to) {
    for (const auto grouping :
         {EnergyGrouping::instance, EnergyGrouping::tenant, EnergyGrouping::namespace_,
          EnergyGrouping::gpu, EnergyGrouping::node}) {
      SCOPED_TRACE(std::string(grouping_name(grouping)));
      const auto expected = sqlite.sum_energy({from, to, grouping});
      EXPECT_FALSE(expected.empty());
      expect_same(expected, postgres.sum_energy({from, to, grouping}));
    }
  };
  compare({}, {});
  compare(kLedgerStart + 1800.0, kLedgerStart + 7200.0);

  const RollupResult a = sqlite.roll_up("node-1", kLedgerStart + 2 * 3600);
  const RollupResult b = postgres.roll_up("node-1", kLedgerStart + 2 * 3600);
  EXPECT_EQ(a.before_s, b.before_s);
  EXPECT_EQ(a.card_rows_before, b.card_rows_before);
  EXPECT_EQ(a.card_rows_after, b.card_rows_after);
  EXPECT_EQ(a.instance_rows_before, b.instance_rows_before);
  EXPECT_EQ(a.instance_rows_after, b.instance_rows_after);
  EXPECT_GT(b.instance_rows_before, b.instance_rows_after);
  compare({}, {});
  EXPECT_FALSE(postgres.write(test::ledger_fixture("node-1").front()));
  EXPECT_EQ(postgres.nodes(), (std::vector<std::string>{"node-1"}));
  EXPECT_EQ(postgres.last_bucket_end_s("node-1"), sqlite.last_bucket_end_s("node-1"));
  server.stop();
  std::filesystem::remove_all(folder);
}

}  // namespace
}  // namespace migpower
