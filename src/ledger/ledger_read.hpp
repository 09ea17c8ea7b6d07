#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "ledger/bucket_rows.hpp"

namespace migpower {

// Assembles batches from the rows of card_energy and instance_energy as both stores read them
// (ordered by bucket, segment and card): each instance row joins the card row of its segment.
class BatchAssembler {
 public:
  void add_card(BucketBatch batch);
  // False when no card row has the instance's segment (a row written by hand): it is skipped.
  bool add_instance(const InstanceBucket& instance);
  [[nodiscard]] std::vector<BucketBatch> take() { return std::move(batches_); }

 private:
  std::vector<BucketBatch> batches_;
  std::map<std::tuple<std::string, std::int64_t, double>, std::size_t> index_;
};

}  // namespace migpower
