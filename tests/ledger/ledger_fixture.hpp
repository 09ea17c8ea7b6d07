#pragma once

// Three hours of one-minute buckets of one card with two instances, made to exercise everything
// a query and a roll-up must keep: tenants of every source's spelling, a restart inside a bucket
// (two segments), a change of method mid-hour, a carbon gap, a price.

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "ledger/bucket_rows.hpp"

namespace migpower::test {

constexpr std::int64_t kLedgerStart = 1767225600;  // 2026-01-01T00:00:00Z, on an hour

inline std::vector<BucketBatch> ledger_fixture(const std::string& node = "node-1") {
  const char* tenants[] = {"team-a/train-0", "pod/0f3c-uid", "slurm/4242", "finance", ""};
  std::vector<BucketBatch> batches;
  for (int minute = 0; minute < 180; ++minute) {
    const std::int64_t start = kLedgerStart + 60 * minute;
    // Minute 70 holds a restart: a segment from :00 and another from :30.
    std::vector<double> segments = {static_cast<double>(start)};
    if (minute == 70) segments.push_back(static_cast<double>(start) + 30.0);
    for (const double segment : segments) {
      BucketBatch batch;
      batch.provenance = {node, minute < 100 ? "online" : "slices", "slices", "0.1.0"};
      const double scale = segment == static_cast<double>(start) ? 1.0 : 0.5;
      const bool gap = minute >= 130 && minute < 140;  // no carbon period covers these
      const auto carbon = [&](double joules) {
        BucketCarbon c;
        c.carbon_source = "grid.csv";
        if (!gap) {
          c.intensity_g_kwh = 300.0 + minute;
          c.location_g = joules / 3.6e6 * (300.0 + minute);
          c.market_g = joules / 3.6e6 * 50.0;
        }
        c.cost = joules / 3.6e6 * 0.25;
        c.currency = "EUR";
        return c;
      };
      const double a = scale * (9000.0 + 37.0 * minute);
      const double b = scale * (4000.0 + 11.0 * (minute % 17));
      batch.card =
          CardBucket{"GPU-a", "NVIDIA A100-SXM4-40GB", start, 60, segment, a + b + 120.0, 120.0,
                     60,      carbon(a + b + 120.0)};
      for (const int id : {1, 2}) {
        InstanceBucket instance;
        instance.gpu_uuid = "GPU-a";
        instance.gpu_i_id = id;
        instance.profile = id == 1 ? "4g.20gb" : "3g.20gb";
        instance.tenant = tenants[(minute / 40 + id) % 5];
        instance.bucket_start_s = start;
        instance.bucket_seconds = 60;
        instance.segment_start_s = segment;
        instance.energy_j = id == 1 ? a : b;
        instance.static_j = instance.energy_j * 0.25;
        instance.dynamic_j = instance.energy_j * 0.75;
        instance.carbon = carbon(instance.energy_j);
        batch.instances.push_back(instance);
      }
      batches.push_back(batch);
    }
  }
  return batches;
}

// A path in the temporary folder, unique to this process and name, removed with its WAL files.
class TempLedgerFile {
 public:
  explicit TempLedgerFile(const std::string& name)
      : path_((std::filesystem::temp_directory_path() /
               ("migpower-" + name + "-" + std::to_string(::getpid()) + ".db"))
                  .string()) {
    remove();
  }
  ~TempLedgerFile() { remove(); }
  TempLedgerFile(const TempLedgerFile&) = delete;
  TempLedgerFile& operator=(const TempLedgerFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  void remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string path_;
};

}  // namespace migpower::test
