// Retention on a real SQLite file: rolling minutes up to hours keeps every sum (per instance,
// tenant, namespace, card, and the card's conservation per hour), keeps a carbon gap a gap and
// each provenance apart, refuses a late copy of a rolled-up segment, and runs again harmlessly.

#include "ledger/bucket_rollup.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

#include "ledger/ledger_fixture.hpp"
#include "ledger/sqlite_ledger.hpp"

namespace migpower {
namespace {

using test::kLedgerStart;

double value(SqliteLedger& ledger, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(ledger.handle(), sql.c_str(), -1, &statement, nullptr);
  double result = -1.0;
  if (sqlite3_step(statement) == SQLITE_ROW) result = sqlite3_column_double(statement, 0);
  sqlite3_finalize(statement);
  return result;
}

void expect_same_sums(const std::vector<EnergySum>& before, const std::vector<EnergySum>& after) {
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t k = 0; k < before.size(); ++k) {
    EXPECT_EQ(before[k].key, after[k].key);
    EXPECT_NEAR(before[k].energy_j, after[k].energy_j, 1e-9 * before[k].energy_j);
    EXPECT_NEAR(before[k].static_j, after[k].static_j, 1e-9 * before[k].energy_j);
    EXPECT_EQ(before[k].carbon_location_g.has_value(), after[k].carbon_location_g.has_value());
    EXPECT_NEAR(before[k].carbon_location_g.value_or(0), after[k].carbon_location_g.value_or(0),
                1e-9 * before[k].carbon_location_g.value_or(1));
    EXPECT_NEAR(before[k].carbon_market_g.value_or(0), after[k].carbon_market_g.value_or(0),
                1e-9 * before[k].carbon_market_g.value_or(1));
    EXPECT_NEAR(before[k].cost.value_or(0), after[k].cost.value_or(0),
                1e-9 * before[k].cost.value_or(1));
    EXPECT_NEAR(before[k].energy_without_carbon_j, after[k].energy_without_carbon_j,
                1e-9 * before[k].energy_j);
    // An hour row starts on its hour: a group's first bucket may move back, within the hour.
    EXPECT_LE(after[k].first_s, before[k].first_s);
    EXPECT_GT(after[k].first_s + 3600.0, before[k].first_s);
  }
}

class BucketRollupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const BucketBatch& batch : batches_) ASSERT_TRUE(ledger_.write(batch));
  }
  std::vector<std::vector<EnergySum>> all_sums() {
    std::vector<std::vector<EnergySum>> sums;
    for (const auto grouping : {EnergyGrouping::instance, EnergyGrouping::tenant,
                                EnergyGrouping::namespace_, EnergyGrouping::gpu}) {
      sums.push_back(ledger_.sum_energy({{}, {}, grouping}));
    }
    return sums;
  }
  test::TempLedgerFile file_{"rollup"};
  SqliteLedger ledger_{file_.path()};
  std::vector<BucketBatch> batches_ = test::ledger_fixture();
};

TEST_F(BucketRollupTest, HoursReplaceMinutesWithTheSameSums) {
  const auto before = all_sums();
  const double measured = value(ledger_, "SELECT sum(measured_j) FROM card_energy");
  // Two of the three hours roll up; a cutoff inside an hour is taken back to the hour.
  const RollupResult result = ledger_.roll_up("node-1", kLedgerStart + 2 * 3600 + 1234);
  EXPECT_EQ(result.before_s, kLedgerStart + 2 * 3600);
  EXPECT_EQ(result.card_rows_before, 121);  // 120 minutes, one of them in two segments
  EXPECT_EQ(result.instance_rows_before, 242);
  // Hour 1 changes method at minute 100: two card rows for it.
  EXPECT_EQ(result.card_rows_after, 3);
  EXPECT_GT(result.instance_rows_after, 4);
  EXPECT_LT(result.instance_rows_after, 20);
  EXPECT_EQ(value(ledger_, "SELECT count(*) FROM instance_energy WHERE bucket_seconds = 3600"),
            static_cast<double>(result.instance_rows_after));
  EXPECT_EQ(value(ledger_,
                  "SELECT count(*) FROM instance_energy WHERE bucket_seconds = 60 AND "
                  "bucket_start < " +
                      std::to_string(result.before_s)),
            0.0);

  const auto after = all_sums();
  for (std::size_t g = 0; g < before.size(); ++g) expect_same_sums(before[g], after[g]);
  EXPECT_NEAR(value(ledger_, "SELECT sum(measured_j) FROM card_energy"), measured, 1e-9 * measured);
  // Each hour still conserves: its instances and unattributed energy are what the card measured.
  EXPECT_NEAR(value(ledger_,
                    "SELECT max(abs(c.m - c.u - (SELECT sum(i.energy_j) FROM instance_energy i "
                    "WHERE i.bucket_start = c.bucket_start))) FROM (SELECT bucket_start, "
                    "sum(measured_j) AS m, sum(unattributed_j) AS u FROM card_energy GROUP BY "
                    "bucket_start) c"),
              0.0, 1e-6);
  // The provenance of each hour row is one of its minutes'.
  EXPECT_EQ(value(ledger_, "SELECT count(DISTINCT method) FROM card_energy WHERE bucket_start = " +
                               std::to_string(kLedgerStart + 3600)),
            2.0);
}

TEST_F(BucketRollupTest, ALateCopyOfARolledUpSegmentIsRefusedAndNewerOnesAreKept) {
  (void)ledger_.roll_up("node-1", kLedgerStart + 3600);
  const double stored = value(ledger_, "SELECT sum(energy_j) FROM instance_energy");
  // A spool replaying an old batch, or a second agent: stored once already, inside an hour row.
  EXPECT_FALSE(ledger_.write(batches_.front()));
  EXPECT_DOUBLE_EQ(value(ledger_, "SELECT sum(energy_j) FROM instance_energy"), stored);
  EXPECT_TRUE(ledger_.write(batches_.back()));  // after the cutoff: the usual no-op rewrite
  EXPECT_DOUBLE_EQ(value(ledger_, "SELECT sum(energy_j) FROM instance_energy"), stored);
  // Another node's cutoff is its own.
  BucketBatch other = test::ledger_fixture("node-2").front();
  EXPECT_TRUE(ledger_.write(other));
}

TEST_F(BucketRollupTest, RunningAgainOrBackwardsChangesNothing) {
  (void)ledger_.roll_up("node-1", kLedgerStart + 2 * 3600);
  const auto once = all_sums();
  const double rows = value(ledger_, "SELECT count(*) FROM instance_energy");
  const RollupResult again = ledger_.roll_up("node-1", kLedgerStart + 2 * 3600);
  EXPECT_EQ(again.instance_rows_before, 0);
  const RollupResult back = ledger_.roll_up("node-1", kLedgerStart + 3600);
  EXPECT_EQ(back.instance_rows_before, 0);
  EXPECT_EQ(value(ledger_, "SELECT count(*) FROM instance_energy"), rows);
  EXPECT_EQ(value(ledger_, "SELECT rolled_up_before FROM ledger_retention WHERE node = 'node-1'"),
            static_cast<double>(kLedgerStart + 2 * 3600));
  const auto twice = all_sums();
  for (std::size_t g = 0; g < once.size(); ++g) expect_same_sums(once[g], twice[g]);
  EXPECT_EQ(ledger_.nodes(), std::vector<std::string>{"node-1"});
  EXPECT_EQ(ledger_.last_bucket_end_s("node-1"), kLedgerStart + 3.0 * 3600);
  EXPECT_FALSE(ledger_.last_bucket_end_s("node-9").has_value());
}

TEST(RollupHourTest, TakesATimeBackToItsHour) {
  EXPECT_EQ(rollup_hour(kLedgerStart + 3599), kLedgerStart);
  EXPECT_EQ(rollup_hour(kLedgerStart), kLedgerStart);
  EXPECT_EQ(rollup_hour(-1), -3600);
}

}  // namespace
}  // namespace migpower
