#include "ledger/ledger_read.hpp"

namespace migpower {

void BatchAssembler::add_card(BucketBatch batch) {
  index_[{batch.card.gpu_uuid, batch.card.bucket_start_s, batch.card.segment_start_s}] =
      batches_.size();
  batches_.push_back(std::move(batch));
}

bool BatchAssembler::add_instance(const InstanceBucket& instance) {
  const auto it =
      index_.find({instance.gpu_uuid, instance.bucket_start_s, instance.segment_start_s});
  if (it == index_.end()) return false;
  batches_[it->second].instances.push_back(instance);
  return true;
}

}  // namespace migpower
