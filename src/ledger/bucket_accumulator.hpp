#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "core/frame.hpp"
#include "core/shares.hpp"
#include "ledger/bucket_rows.hpp"

namespace migpower {

// Sums each frame's energy into time buckets of bucket_seconds (aligned to the epoch), per card
// and per (instance, tenant). A frame's energy is that of the interval it closes, counted in the
// bucket its timestamp falls in, so the buckets of a card sum exactly to its EnergyLedger energy.
// A card's bucket closes when the card's first frame of a later bucket arrives; the batch then
// goes to `closed`. Carbon and provenance are the writer's to fill.
class BucketAccumulator {
 public:
  // Throws InputError unless bucket_seconds is between 1 and 86400.
  explicit BucketAccumulator(std::int64_t bucket_seconds);

  // `joules_per_watt`: EnergyLedger::last_joules_per_watt() after adding this frame; `tenants`:
  // one per instance of the frame (may be empty: no tenant known).
  void add(const Frame& frame, const FrameAttribution& attribution, double joules_per_watt,
           const std::vector<std::string>& tenants, std::vector<BucketBatch>& closed);

  // Closes every open segment (a graceful stop); each goes to `closed`.
  void flush(std::vector<BucketBatch>& closed);

  [[nodiscard]] std::int64_t bucket_seconds() const { return bucket_seconds_; }

 private:
  using InstanceKey = std::tuple<int, std::string, std::string>;  // GPU_I_ID, profile, tenant
  struct Open {
    bool active = false;
    CardBucket card;
    std::map<InstanceKey, InstanceBucket> instances;
  };
  static void close(Open& open, std::vector<BucketBatch>& closed);

  std::int64_t bucket_seconds_;
  std::map<std::string, Open> cards_;  // by gpu_uuid
};

}  // namespace migpower
