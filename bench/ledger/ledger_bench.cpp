// The ledger's cost and size (docs/ledger.md#cost-and-size): the time to commit one bucket batch
// of a 7-instance card to the node's SQLite file, against a floor measured in the same run (the
// same 8 rows inserted in one transaction by bare libsqlite3 with the same WAL and
// synchronous=FULL settings: what any crash-safe SQLite ledger pays); the file's bytes per row;
// and, after rolling all but the last day up to hours, the size per instance per year that the
// default retention (90 days of minutes, then hours) implies.
//
// Usage: ledger_bench [--days N] [--dir DIR]   (default 2 days of 1-minute buckets, in /tmp)

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "ledger/sqlite_ledger.hpp"

namespace {

using migpower::BucketBatch;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kStart = 1767225600;  // 2026-01-01T00:00:00Z
constexpr int kInstances = 7;

BucketBatch batch(int minute) {
  BucketBatch b;
  b.provenance = {"bench-node", "online", "slices", "0.1.0"};
  const std::int64_t start = kStart + std::int64_t{60} * minute;
  migpower::BucketCarbon carbon;
  carbon.carbon_source = "constant 380 gCO2e/kWh";
  carbon.intensity_g_kwh = 380.0;
  carbon.location_g = 1.2;
  b.card = {"GPU-5e1f0a3c-2b7d-4c1e-9a8f-0d6b3e4f5a61",
            "NVIDIA A100-SXM4-40GB",
            start,
            60,
            static_cast<double>(start),
            18000.0 + minute % 13,
            0.0,
            60,
            carbon};
  for (int id = 0; id < kInstances; ++id) {
    migpower::InstanceBucket i;
    i.gpu_uuid = b.card.gpu_uuid;
    i.gpu_i_id = 7 + id;
    i.profile = "1g.5gb";
    i.tenant = "team-" + std::to_string(id) + "/train-" + std::to_string(minute / 240);
    i.bucket_start_s = start;
    i.segment_start_s = static_cast<double>(start);
    i.energy_j = 2500.0 + id;
    i.static_j = 700.0;
    i.dynamic_j = i.energy_j - 700.0;
    i.carbon = carbon;
    b.instances.push_back(i);
  }
  return b;
}

// The floor: the same rows, one transaction per batch, bare libsqlite3.
double floor_seconds_per_batch(const std::string& path, const std::vector<BucketBatch>& batches) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE c (node, uuid, model, b, s, seg, m, u, f, PRIMARY KEY (uuid, b, seg));"
               "CREATE TABLE i (node, uuid, id, profile, tenant, b, s, seg, e, st, dy, "
               "PRIMARY KEY (uuid, id, profile, tenant, b, seg));",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* card = nullptr;
  sqlite3_stmt* instance = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO c VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)", -1, &card, nullptr);
  sqlite3_prepare_v2(db, "INSERT INTO i VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)", -1, &instance,
                     nullptr);
  const auto begin = Clock::now();
  for (const BucketBatch& b : batches) {
    sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    sqlite3_bind_text(card, 1, b.provenance.node.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(card, 2, b.card.gpu_uuid.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_text(card, 3, b.card.gpu_model.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(card, 4, b.card.bucket_start_s);
    sqlite3_bind_int64(card, 5, b.card.bucket_seconds);
    sqlite3_bind_double(card, 6, b.card.segment_start_s);
    sqlite3_bind_double(card, 7, b.card.measured_j);
    sqlite3_bind_double(card, 8, b.card.unattributed_j);
    sqlite3_bind_int64(card, 9, b.card.frames);
    sqlite3_step(card);
    sqlite3_reset(card);
    for (const migpower::InstanceBucket& i : b.instances) {
      sqlite3_bind_text(instance, 1, b.provenance.node.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(instance, 2, i.gpu_uuid.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_int(instance, 3, i.gpu_i_id);
      sqlite3_bind_text(instance, 4, i.profile.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_text(instance, 5, i.tenant.c_str(), -1, SQLITE_STATIC);
      sqlite3_bind_int64(instance, 6, i.bucket_start_s);
      sqlite3_bind_int64(instance, 7, i.bucket_seconds);
      sqlite3_bind_double(instance, 8, i.segment_start_s);
      sqlite3_bind_double(instance, 9, i.energy_j);
      sqlite3_bind_double(instance, 10, i.static_j);
      sqlite3_bind_double(instance, 11, i.dynamic_j);
      sqlite3_step(instance);
      sqlite3_reset(instance);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - begin).count();
  sqlite3_finalize(card);
  sqlite3_finalize(instance);
  sqlite3_close(db);
  return seconds / static_cast<double>(batches.size());
}

// The file's size once the WAL is folded in and free pages are gone.
double compacted_bytes(migpower::SqliteLedger& ledger, const std::string& path) {
  ledger.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  ledger.exec("VACUUM");
  ledger.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  return static_cast<double>(std::filesystem::file_size(path));
}

}  // namespace

int main(int argc, char** argv) {
  int days = 2;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
  for (int k = 1; k + 1 < argc; k += 2) {
    const std::string flag = argv[k];
    if (flag == "--days") days = std::max(2, std::stoi(argv[k + 1]));
    if (flag == "--dir") dir = argv[k + 1];
  }
  const std::string tag = std::to_string(::getpid());
  const std::string ours = (dir / ("ledger-bench-" + tag + ".db")).string();
  const std::string bare = (dir / ("ledger-floor-" + tag + ".db")).string();
  std::vector<BucketBatch> batches;
  for (int minute = 0; minute < days * 1440; ++minute) batches.push_back(batch(minute));

  // Interleaved halves, so that a disk that slows down during the run hurts both alike.
  const std::size_t half = batches.size() / 2;
  const std::vector<BucketBatch> first(batches.begin(), batches.begin() + half);
  const std::vector<BucketBatch> second(batches.begin() + half, batches.end());
  double ours_s = 0.0;
  double floor_s = floor_seconds_per_batch(bare, first) / 2.0;
  {
    migpower::SqliteLedger ledger(ours);
    const auto begin = Clock::now();
    for (const BucketBatch& b : batches) ledger.write(b);
    ours_s = std::chrono::duration<double>(Clock::now() - begin).count() /
             static_cast<double>(batches.size());
  }
  std::filesystem::remove(bare);
  floor_s += floor_seconds_per_batch(bare, second) / 2.0;
  std::printf(
      "bucket batch (1 card + %d instances), committed with fsync: %.3f ms; "
      "bare libsqlite3 floor %.3f ms; ratio %.2fx\n",
      kInstances, ours_s * 1e3, floor_s * 1e3, ours_s / floor_s);
  std::printf("once a minute per card, on the frame loop: %.4f%% of its wall time\n",
              ours_s / 60.0 * 100.0);

  // Bytes per row net of an empty ledger's pages, with 1-minute rows and then with hour rows.
  const std::string empty_path = (dir / ("ledger-empty-" + tag + ".db")).string();
  double empty = 0.0;
  {
    migpower::SqliteLedger none(empty_path);
    empty = compacted_bytes(none, empty_path);
  }
  migpower::SqliteLedger ledger(ours);
  const double rows = static_cast<double>(batches.size()) * (1 + kInstances);
  const double minute_bytes = (compacted_bytes(ledger, ours) - empty) / rows;
  const auto all = ledger.roll_up("bench-node", kStart + std::int64_t{days} * 86400);
  const auto hour_rows = static_cast<double>(all.card_rows_after + all.instance_rows_after);
  const double hour_bytes = (compacted_bytes(ledger, ours) - empty) / hour_rows;
  std::printf(
      "%.0f rows of 1-minute buckets: %.0f bytes a row (indexes included); rolled up to "
      "%.0f hour rows: %.0f bytes a row\n",
      rows, minute_bytes, hour_rows, hour_bytes);
  // Per instance per year, the card's own rows shared among its instances.
  const double share = (1.0 + kInstances) / kInstances;
  const double kept = 365.0 * 1440.0 * share * minute_bytes;
  const double retained =
      (90.0 * 1440.0 * minute_bytes + (365.0 - 90.0) * 24.0 * hour_bytes) * share;
  std::printf(
      "per instance per year: %.1f MB with every minute kept; %.1f MB with the default "
      "--ledger-retention 90d (minutes for 90 days, then hours)\n",
      kept / 1e6, retained / 1e6);
  for (const std::string& path : {ours, bare, empty_path}) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  }
  return 0;
}
