// A report from a ledger (a real SQLite file): the groups' energy and carbon are the stored
// buckets', the tenants are the ledger's, nothing is attributed again.

#include "export/report_ledger_source.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <string>

#include "export/report_builder.hpp"
#include "ledger/sqlite_ledger.hpp"

namespace migpower {
namespace {

BucketBatch batch(std::int64_t bucket_start, const std::string& tenant_one, double joules) {
  BucketBatch batch;
  batch.provenance = {"node-1", "online", "slices", "0.1.0"};
  batch.card = CardBucket{"GPU-a",
                          "NVIDIA A100-SXM4-40GB",
                          bucket_start,
                          60,
                          static_cast<double>(bucket_start),
                          joules + 6.0,
                          6.0,
                          60,
                          {}};
  batch.card.carbon.intensity_g_kwh = 400.0;
  batch.card.carbon.location_g = (joules + 6.0) / 3.6e6 * 400.0;
  for (int id : {1, 2}) {
    InstanceBucket instance;
    instance.gpu_uuid = "GPU-a";
    instance.gpu_i_id = id;
    instance.profile = "3g.20gb";
    instance.tenant = id == 1 ? tenant_one : "team-b";
    instance.bucket_start_s = bucket_start;
    instance.segment_start_s = static_cast<double>(bucket_start);
    instance.energy_j = joules / 2.0;
    instance.static_j = joules / 8.0;
    instance.dynamic_j = 3.0 * joules / 8.0;
    batch.instances.push_back(instance);
  }
  return batch;
}

TEST(LedgerReportSource, GroupsAreTheStoredBucketsPerTenant) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("migpower-report-ledger-" + std::to_string(::getpid()) + ".db"))
                               .string();
  {
    SqliteLedger ledger(path);
    ledger.write(batch(0, "team-a", 6000.0));
    ledger.write(batch(60, "team-a", 12000.0));
    ledger.write(batch(120, "team-c", 3000.0));  // instance 1 changes hands
  }
  SqliteLedger ledger(path);
  LedgerReportSource source(ledger.read(std::nullopt, std::nullopt),
                            ReportSourceInfo{path, "", ""});
  EXPECT_EQ(source.info().method, "online");
  ReportSettings settings;
  settings.group_by = parse_report_grouping("tenant");
  const Report report = build_report(source, settings);
  std::map<std::string, double> energy;
  double total = 0.0;
  double carbon = 0.0;
  for (const ReportGroup& group : report.groups) {
    energy[group.name] = group.energy_j;
    total += group.energy_j;
    carbon += group.carbon_g;
  }
  EXPECT_DOUBLE_EQ(energy["team-a"], 3000.0 + 6000.0);
  EXPECT_DOUBLE_EQ(energy["team-b"], 3000.0 + 6000.0 + 1500.0);
  EXPECT_DOUBLE_EQ(energy["team-c"], 1500.0);
  EXPECT_DOUBLE_EQ(total, 21000.0 + 18.0);  // with the unattributed row: every measured joule
  EXPECT_NEAR(carbon, 21018.0 / 3.6e6 * 400.0, 1e-9);
  // A period selects whole buckets.
  SqliteLedger again(path);
  EXPECT_EQ(again.read(60.0, 120.0).size(), 1u);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

}  // namespace
}  // namespace migpower
