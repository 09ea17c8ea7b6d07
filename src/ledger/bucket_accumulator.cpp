#include "ledger/bucket_accumulator.hpp"

#include <cmath>

#include "core/error.hpp"

namespace migpower {

BucketAccumulator::BucketAccumulator(std::int64_t bucket_seconds)
    : bucket_seconds_(bucket_seconds) {
  if (bucket_seconds < 1 || bucket_seconds > 86400) {
    throw InputError("a ledger bucket must be 1 s to 1 day long, not " +
                     std::to_string(bucket_seconds) + " s");
  }
}

void BucketAccumulator::close(Open& open, std::vector<BucketBatch>& closed) {
  BucketBatch batch;
  batch.card = open.card;
  batch.instances.reserve(open.instances.size());
  for (auto& [key, instance] : open.instances) batch.instances.push_back(instance);
  closed.push_back(std::move(batch));
  open.instances.clear();
  open.active = false;
}

void BucketAccumulator::add(const Frame& frame, const FrameAttribution& attribution,
                            double joules_per_watt, const std::vector<std::string>& tenants,
                            std::vector<BucketBatch>& closed) {
  if (!std::isfinite(frame.timestamp_s)) return;
  const auto bucket = static_cast<std::int64_t>(
                          std::floor(frame.timestamp_s / static_cast<double>(bucket_seconds_))) *
                      bucket_seconds_;
  Open& open = cards_[frame.gpu_uuid];
  bool continues = false;  // this run saw the card's previous bucket: the segment is the bucket
  if (open.active && open.card.bucket_start_s != bucket) {
    continues = bucket > open.card.bucket_start_s;
    close(open, closed);
  }
  if (!open.active) {
    open.active = true;
    open.card = CardBucket{};
    open.card.gpu_uuid = frame.gpu_uuid;
    open.card.bucket_start_s = bucket;
    open.card.bucket_seconds = bucket_seconds_;
    open.card.segment_start_s = continues ? static_cast<double>(bucket) : frame.timestamp_s;
  }
  CardBucket& card = open.card;
  card.gpu_model = frame.gpu_model;
  ++card.frames;
  if (!attribution.has_power) return;
  card.measured_j += attribution.measured_w * joules_per_watt;
  card.unattributed_j += attribution.unattributed_w * joules_per_watt;
  for (std::size_t i = 0; i < frame.instances.size() && i < attribution.shares.size(); ++i) {
    const InstanceSample& sample = frame.instances[i];
    const InstanceShare& share = attribution.shares[i];
    const std::string tenant = i < tenants.size() ? tenants[i] : std::string();
    auto [it, inserted] =
        open.instances.try_emplace(InstanceKey{sample.gpu_i_id, sample.profile, tenant});
    InstanceBucket& instance = it->second;
    if (inserted) {
      instance.gpu_uuid = frame.gpu_uuid;
      instance.gpu_i_id = sample.gpu_i_id;
      instance.profile = sample.profile;
      instance.tenant = tenant;
      instance.bucket_start_s = card.bucket_start_s;
      instance.bucket_seconds = bucket_seconds_;
      instance.segment_start_s = card.segment_start_s;
    }
    instance.energy_j += share.power_w * joules_per_watt;
    instance.static_j += share.static_w * joules_per_watt;
    instance.dynamic_j += share.dynamic_w * joules_per_watt;
  }
}

void BucketAccumulator::flush(std::vector<BucketBatch>& closed) {
  for (auto& [uuid, open] : cards_) {
    if (open.active) close(open, closed);
  }
}

}  // namespace migpower
