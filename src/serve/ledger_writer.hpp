#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/frame.hpp"
#include "core/shares.hpp"
#include "export/live_snapshot.hpp"
#include "ledger/bucket_accumulator.hpp"
#include "ledger/ledger_spool.hpp"
#include "ledger/ledger_store.hpp"
#include "ledger/value_series.hpp"

namespace migpower {

struct LedgerOptions {
  std::string sqlite_path;   // the node's ledger; empty: none
  std::string postgres_url;  // a fleet database; empty: none
  std::string spool_path;    // batches on their way to postgres_url
  std::size_t spool_capacity = 100000;
  std::int64_t bucket_seconds = 60;
  std::optional<ValueSeries> carbon;         // location-based gCO2e/kWh
  std::optional<ValueSeries> market_carbon;  // market-based, kept beside it
  std::optional<ValueSeries> price;          // per kWh
  double retry_s = 5.0;                      // between attempts while the database is away
  // Buckets older than this (before the newest bucket written) are rolled up to hours
  // (docs/ledger.md#retention); none: kept as they are.
  std::optional<std::int64_t> retention_s = std::int64_t{90} * 86400;
};

// The agent's ledger (docs/ledger.md): frames' energy summed into buckets (BucketAccumulator),
// carbon and cost added when a bucket closes, and each batch written in one transaction to the
// node's SQLite file at once. Batches for a fleet database go through an on-disk spool that a
// thread of its own drains, so an outage of the database never stalls the frame loop and loses
// nothing that fits in the spool.
class LedgerWriter {
 public:
  // Opens the stores (the SQLite file now; PostgreSQL is tried by the forwarding thread).
  // Throws InputError when the SQLite file or the spool cannot be opened.
  LedgerWriter(LedgerOptions options, BucketProvenance provenance);
  ~LedgerWriter();
  LedgerWriter(const LedgerWriter&) = delete;
  LedgerWriter& operator=(const LedgerWriter&) = delete;

  // Sums of what is stored for this node: the SQLite file, else the fleet database (when
  // reachable), else nothing. For the /metrics counters to continue after a restart.
  [[nodiscard]] std::optional<LedgerTotals> totals();

  // Adds one attributed frame (on the frame loop's thread).
  void add(const Frame& frame, const FrameAttribution& attribution, double joules_per_watt,
           const std::vector<std::string>& tenants);
  // Closes the open buckets and writes them (a graceful stop), then gives the forwarder up to
  // `drain_s` to empty the spool.
  void finish(double drain_s);

  [[nodiscard]] LedgerHealth health() const;

 private:
  void write(BucketBatch& batch);
  void fill_carbon(BucketBatch& batch) const;
  void forward();
  // Rolls the store up once the newest bucket has moved the retention cutoff past `rolled`.
  void roll_up_if_due(LedgerStore& store, const BucketBatch& newest, std::int64_t& rolled);

  LedgerOptions options_;
  BucketProvenance provenance_;
  BucketAccumulator accumulator_;
  std::unique_ptr<LedgerStore> node_;
  std::unique_ptr<LedgerSpool> spool_;
  std::vector<BucketBatch> closed_;

  std::atomic<std::uint64_t> written_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::uint64_t> pending_{0};
  std::atomic<std::uint64_t> forwarded_{0};
  std::atomic<std::uint64_t> carbon_gaps_{0};
  std::atomic<std::uint64_t> refused_{0};
  std::atomic<std::uint64_t> rollups_{0};
  std::int64_t node_rolled_up_before_ = std::numeric_limits<std::int64_t>::min();
  std::atomic<bool> fleet_up_{false};

  std::mutex spool_mutex_;  // the spool is written by the loop and drained by the forwarder
  std::mutex wake_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread forwarder_;
};

}  // namespace migpower
