#include "serve/ledger_writer.hpp"

#include <chrono>
#include <cmath>
#include <iostream>

#include "core/energy_units.hpp"
#include "core/error.hpp"
#include "ledger/postgres_ledger.hpp"
#include "ledger/sqlite_ledger.hpp"
#include "trace/time_text.hpp"

namespace migpower {
LedgerWriter::LedgerWriter(LedgerOptions options, BucketProvenance provenance)
    : options_(std::move(options)),
      provenance_(std::move(provenance)),
      accumulator_(options_.bucket_seconds) {
  if (!options_.sqlite_path.empty()) node_ = std::make_unique<SqliteLedger>(options_.sqlite_path);
  if (!options_.postgres_url.empty()) {
    spool_ = std::make_unique<LedgerSpool>(options_.spool_path, options_.spool_capacity);
    pending_ = spool_->size();
    forwarder_ = std::thread([this] { forward(); });
  }
}

LedgerWriter::~LedgerWriter() {
  {
    const std::lock_guard lock(wake_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (forwarder_.joinable()) forwarder_.join();
}

std::optional<LedgerTotals> LedgerWriter::totals() {
  if (node_) return node_->totals(provenance_.node);
  if (!options_.postgres_url.empty()) {
    try {
      PostgresLedger fleet(options_.postgres_url);
      return fleet.totals(provenance_.node);
    } catch (const InputError& error) {
      std::cerr << "migpower: cannot read the ledger's totals (counters start at 0): "
                << error.what() << "\n";
    }
  }
  return std::nullopt;
}

void LedgerWriter::fill_carbon(BucketBatch& batch) const {
  // Each bucket uses the values that hold at its start. NaN: no value (none given, or a gap);
  // plain doubles because GCC 12 warns falsely on std::optional<double> here.
  const auto t = static_cast<double>(batch.card.bucket_start_s);
  const auto value = [t](const std::optional<ValueSeries>& series) {
    return series ? series->at(t).value_or(std::nan("")) : std::nan("");
  };
  const double intensity = value(options_.carbon);
  const double market = value(options_.market_carbon);
  const double price = value(options_.price);
  const auto apply = [&](double joules, BucketCarbon& out) {
    const double kwh = joules / kJoulesPerKwh;
    out = BucketCarbon{};
    if (options_.carbon) out.carbon_source = options_.carbon->source();
    if (options_.price) out.currency = options_.price->currency();
    if (!std::isnan(intensity)) {
      out.intensity_g_kwh = intensity;
      out.location_g = kwh * intensity;
    }
    if (!std::isnan(market)) out.market_g = kwh * market;
    if (!std::isnan(price)) out.cost = kwh * price;
  };
  apply(batch.card.measured_j, batch.card.carbon);
  for (InstanceBucket& instance : batch.instances) apply(instance.energy_j, instance.carbon);
}

void LedgerWriter::write(BucketBatch& batch) {
  batch.provenance = provenance_;
  fill_carbon(batch);
  const bool gap = (options_.carbon && !batch.card.carbon.intensity_g_kwh) ||
                   (options_.market_carbon && !batch.card.carbon.market_g) ||
                   (options_.price && !batch.card.carbon.cost);
  if (gap) ++carbon_gaps_;
  if (node_) {
    try {
      if (node_->write(batch)) {
        ++written_;
      } else {
        ++refused_;
      }
      roll_up_if_due(*node_, batch, node_rolled_up_before_);
    } catch (const InputError& error) {
      ++errors_;
      std::cerr << "migpower: " << error.what() << "\n";
    }
  }
  if (spool_) {
    const std::lock_guard lock(spool_mutex_);
    try {
      dropped_ += spool_->push(batch);
      pending_ = spool_->size();
    } catch (const InputError& error) {
      ++errors_;
      std::cerr << "migpower: " << error.what() << "\n";
    }
    wake_.notify_all();
  }
}

void LedgerWriter::roll_up_if_due(LedgerStore& store, const BucketBatch& newest,
                                  std::int64_t& rolled) {
  if (!options_.retention_s) return;
  const std::int64_t end = newest.card.bucket_start_s + newest.card.bucket_seconds;
  const std::int64_t cutoff = rollup_hour(end - *options_.retention_s);
  if (cutoff <= rolled) return;  // at most once an hour of data
  const RollupResult result = store.roll_up(provenance_.node, cutoff);
  rolled = cutoff;
  ++rollups_;
  if (result.instance_rows_before > 0) {
    std::cerr << "migpower: ledger " << store.describe() << ": rolled "
              << result.instance_rows_before << " instance rows before "
              << format_rfc3339(static_cast<double>(cutoff)) << " up to "
              << result.instance_rows_after << " hourly rows\n";
  }
}

void LedgerWriter::add(const Frame& frame, const FrameAttribution& attribution,
                       double joules_per_watt, const std::vector<std::string>& tenants) {
  closed_.clear();
  accumulator_.add(frame, attribution, joules_per_watt, tenants, closed_);
  for (BucketBatch& batch : closed_) write(batch);
}

void LedgerWriter::finish(double drain_s) {
  closed_.clear();
  accumulator_.flush(closed_);
  for (BucketBatch& batch : closed_) write(batch);
  if (!spool_) return;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(drain_s);
  while (pending_.load() > 0 && std::chrono::steady_clock::now() < end) {
    wake_.notify_all();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void LedgerWriter::forward() {
  std::unique_ptr<PostgresLedger> fleet;
  bool told_down = false;
  std::int64_t fleet_rolled_up_before = std::numeric_limits<std::int64_t>::min();
  while (true) {
    bool continue_waiting = false;
    {
      std::unique_lock lock(wake_mutex_);
      if (stopping_) return;
    }
    bool progressed = false;
    try {
      if (!fleet) fleet = std::make_unique<PostgresLedger>(options_.postgres_url);
      fleet_up_ = true;
      std::vector<std::pair<std::int64_t, BucketBatch>> batches;
      {
        const std::lock_guard lock(spool_mutex_);
        batches = spool_->oldest(64);
      }
      for (const auto& [id, batch] : batches) {
        // Idempotent: a batch sent twice is stored once. The fleet's roll-up of this node runs
        // here, on the only thread that writes this node's rows to it.
        if (!fleet->write(batch)) ++refused_;
        roll_up_if_due(*fleet, batch, fleet_rolled_up_before);
        const std::lock_guard lock(spool_mutex_);
        spool_->remove(id);
        pending_ = spool_->size();
        ++forwarded_;
        progressed = true;
      }
    } catch (const InputError& error) {
      if (!told_down) {  // once per outage, not once per retry
        std::cerr << "migpower: fleet ledger unavailable, spooling (" << pending_.load()
                  << " batches waiting; retrying every " << options_.retry_s
                  << " s): " << error.what() << "\n";
        told_down = true;
      }
      fleet_up_ = false;
      ++errors_;
      fleet.reset();
      continue_waiting = true;
    }
    if (fleet_up_ && told_down) {
      std::cerr << "migpower: fleet ledger " << without_password(options_.postgres_url)
                << " is back; catching up\n";
      told_down = false;
    }
    if (progressed && !continue_waiting) continue;
    std::unique_lock lock(wake_mutex_);
    wake_.wait_for(lock, std::chrono::duration<double>(fleet_up_ ? 1.0 : options_.retry_s),
                   [&] { return stopping_; });
  }
}

LedgerHealth LedgerWriter::health() const {
  LedgerHealth health;
  health.enabled = true;
  health.batches_written = written_;
  health.write_errors = errors_;
  health.fleet_configured = spool_ != nullptr;
  health.fleet_up = fleet_up_;
  health.pending = pending_;
  health.forwarded = forwarded_;
  health.dropped = dropped_;
  health.carbon_gaps = carbon_gaps_;
  health.refused = refused_;
  health.rollups = rollups_;
  return health;
}

}  // namespace migpower
