// Ledger queries on a real SQLite file: every grouping sums exactly what was stored, a period
// takes the buckets that start in it, the namespace of each tenant spelling, and a carbon gap
// shows as energy without carbon rather than as a smaller total.

#include "ledger/energy_query.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "ledger/ledger_fixture.hpp"
#include "ledger/sqlite_ledger.hpp"

namespace migpower {
namespace {

using test::kLedgerStart;

struct Expected {
  double energy_j = 0.0;
  double carbon_g = 0.0;
  double cost = 0.0;
  double without_carbon_j = 0.0;
  long long segments = 0;
};

// The same sums, computed here from the batches, keyed by `key(instance, node)`.
template <typename Key>
std::map<std::string, Expected> expected(const std::vector<BucketBatch>& batches, Key key,
                                         double from_s = -1e300, double to_s = 1e300) {
  std::map<std::string, Expected> sums;
  for (const BucketBatch& batch : batches) {
    for (const InstanceBucket& instance : batch.instances) {
      const auto start = static_cast<double>(instance.bucket_start_s);
      if (start < from_s || start >= to_s) continue;
      Expected& e = sums[key(instance, batch.provenance.node)];
      e.energy_j += instance.energy_j;
      e.carbon_g += instance.carbon.location_g.value_or(0.0);
      e.cost += instance.carbon.cost.value_or(0.0);
      if (!instance.carbon.location_g) e.without_carbon_j += instance.energy_j;
      ++e.segments;
    }
  }
  return sums;
}

std::string joined(const std::vector<std::string>& key) {
  std::string text;
  for (const std::string& part : key) text += part + "|";
  return text;
}

void expect_equal(const std::vector<EnergySum>& sums, const std::map<std::string, Expected>& want) {
  ASSERT_EQ(sums.size(), want.size());
  for (const EnergySum& sum : sums) {
    const auto found = want.find(joined(sum.key));
    ASSERT_NE(found, want.end()) << joined(sum.key);
    const Expected& e = found->second;
    EXPECT_NEAR(sum.energy_j, e.energy_j, 1e-9 * e.energy_j) << joined(sum.key);
    EXPECT_NEAR(sum.static_j + sum.dynamic_j, sum.energy_j, 1e-9 * e.energy_j);
    ASSERT_TRUE(sum.cost.has_value());
    EXPECT_NEAR(*sum.cost, e.cost, 1e-9 * e.cost);
    EXPECT_EQ(sum.currency, "EUR");
    EXPECT_NEAR(sum.energy_without_carbon_j, e.without_carbon_j, 1e-9 * e.energy_j);
    if (e.without_carbon_j < e.energy_j) {
      ASSERT_TRUE(sum.carbon_location_g.has_value());
      EXPECT_NEAR(*sum.carbon_location_g, e.carbon_g, 1e-9 * e.carbon_g);
    } else {
      EXPECT_FALSE(sum.carbon_location_g.has_value()) << "a gap is not 0 g";
    }
    EXPECT_EQ(sum.segments, e.segments);
  }
}

// One file for the suite: the tests only read it.
class EnergyQueryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    file_ = std::make_unique<test::TempLedgerFile>("energy-query");
    SqliteLedger ledger(file_->path());
    for (const BucketBatch& batch : test::ledger_fixture()) ASSERT_TRUE(ledger.write(batch));
  }
  static void TearDownTestSuite() { file_.reset(); }
  static std::vector<EnergySum> sums(EnergyGrouping grouping, std::optional<double> from = {},
                                     std::optional<double> to = {}) {
    SqliteLedger ledger(file_->path(), SqliteLedger::Access::read_only);
    return ledger.sum_energy({from, to, grouping});
  }
  static inline std::unique_ptr<test::TempLedgerFile> file_;
  std::vector<BucketBatch> batches_ = test::ledger_fixture();
};

TEST_F(EnergyQueryTest, EveryGroupingSumsWhatWasStored) {
  expect_equal(sums(EnergyGrouping::instance),
               expected(batches_, [](const InstanceBucket& i, const std::string&) {
                 return joined({i.gpu_uuid, std::to_string(i.gpu_i_id), i.profile});
               }));
  expect_equal(sums(EnergyGrouping::tenant),
               expected(batches_, [](const InstanceBucket& i, const std::string&) {
                 return joined({i.tenant});
               }));
  expect_equal(sums(EnergyGrouping::gpu),
               expected(batches_, [](const InstanceBucket& i, const std::string& node) {
                 return joined({node, i.gpu_uuid});
               }));
  expect_equal(sums(EnergyGrouping::node),
               expected(batches_, [](const InstanceBucket&, const std::string& node) {
                 return joined({node});
               }));
}

TEST_F(EnergyQueryTest, OnlyKubeletTenantsNameANamespace) {
  // "team-a/train-0" is a pod in team-a; "pod/UID" (cgroup), "slurm/JOB", a mapping file's
  // "finance" and no tenant have none.
  expect_equal(sums(EnergyGrouping::namespace_),
               expected(batches_, [](const InstanceBucket& i, const std::string&) {
                 return joined({i.tenant == "team-a/train-0" ? "team-a" : ""});
               }));
}

TEST_F(EnergyQueryTest, APeriodTakesTheBucketsThatStartInIt) {
  const double from = kLedgerStart + 3600.0;
  const double to = kLedgerStart + 2 * 3600.0 + 600.0;
  expect_equal(
      sums(EnergyGrouping::tenant, from, to),
      expected(
          batches_, [](const InstanceBucket& i, const std::string&) { return joined({i.tenant}); },
          from, to));
  const auto first = sums(EnergyGrouping::node, from, to).at(0);
  EXPECT_DOUBLE_EQ(first.first_s, from);
  EXPECT_DOUBLE_EQ(first.last_s, to);
  EXPECT_TRUE(sums(EnergyGrouping::node, kLedgerStart + 1e6, {}).empty());
}

TEST(EnergyGroupingTest, UnknownNamesAreRefusedWithTheKnownOnes) {
  EXPECT_EQ(parse_energy_grouping("namespace"), EnergyGrouping::namespace_);
  try {
    (void)parse_energy_grouping("colour");
    FAIL() << "accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("instance, tenant, namespace, gpu, node"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace migpower
