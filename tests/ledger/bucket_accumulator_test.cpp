// BucketAccumulator: buckets that sum to the card's energy, per instance and per card, with
// segments keyed so that a replay writes the same keys and a restart adds a segment.

#include "ledger/bucket_accumulator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "attribution/method_factory.hpp"
#include "core/error.hpp"
#include "ledger/energy_ledger.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

struct Bucketed {
  std::vector<BucketBatch> batches;
  EnergyLedger energy;
};

// Attributes `seconds` of "mixed" from `start` (frame index) and buckets it.
Bucketed bucket(double seconds, std::size_t skip_frames, std::int64_t bucket_s) {
  Simulator simulator(SimulationOptions{"mixed", 2, seconds, 1.0});
  Attributor attributor = make_attributor(MethodChoice{});
  BucketAccumulator accumulator(bucket_s);
  Bucketed run;
  FrameAttribution attribution;
  Frame frame;
  for (std::size_t k = 0; simulator.next(frame); ++k) {
    if (k < skip_frames) continue;
    attributor.attribute(frame, attribution);
    run.energy.add(frame, attribution);
    accumulator.add(frame, attribution, run.energy.last_joules_per_watt(), {}, run.batches);
  }
  accumulator.flush(run.batches);
  return run;
}

TEST(BucketAccumulator, BucketsSumToTheCardsEnergyPerInstanceAndPerCard) {
  const Bucketed run = bucket(600.0, 0, 60);
  ASSERT_GE(run.batches.size(), 10u);
  double measured = 0.0;
  std::map<int, double> per_instance;
  for (const BucketBatch& batch : run.batches) {
    double instances = 0.0;
    for (const InstanceBucket& instance : batch.instances) {
      instances += instance.energy_j;
      per_instance[instance.gpu_i_id] += instance.energy_j;
      EXPECT_NEAR(instance.static_j + instance.dynamic_j, instance.energy_j, 1e-6);
      EXPECT_EQ(instance.bucket_start_s, batch.card.bucket_start_s);
    }
    EXPECT_NEAR(instances + batch.card.unattributed_j, batch.card.measured_j, 1e-6);
    EXPECT_EQ(batch.card.bucket_start_s % 60, 0);
    measured += batch.card.measured_j;
  }
  EXPECT_NEAR(measured, run.energy.cards()[0].energy_j, 1e-6);
  for (const InstanceEnergy& instance : run.energy.instances()) {
    EXPECT_NEAR(per_instance[instance.gpu_i_id], instance.energy_j, 1e-6);
  }
}

TEST(BucketAccumulator, ARunStartingInsideABucketKeysItsFirstSegmentByItsFirstFrame) {
  const Bucketed whole = bucket(300.0, 0, 60);
  const Bucketed late = bucket(300.0, 90, 60);  // starts 90 s in: inside the second bucket
  // The simulator starts on a minute: the whole run's segments are all whole buckets.
  for (const BucketBatch& batch : whole.batches) {
    EXPECT_EQ(batch.card.segment_start_s, static_cast<double>(batch.card.bucket_start_s));
  }
  ASSERT_FALSE(late.batches.empty());
  const CardBucket& first = late.batches.front().card;
  EXPECT_EQ(first.segment_start_s, static_cast<double>(first.bucket_start_s) + 30.0);
  // After it, whole buckets with the same keys as the uninterrupted run: a replay dedupes.
  for (std::size_t i = 1; i < late.batches.size(); ++i) {
    EXPECT_EQ(late.batches[i].card.segment_start_s, whole.batches[i + 1].card.segment_start_s);
  }
}

TEST(BucketAccumulator, RefusesABucketLengthOutOfRange) {
  EXPECT_THROW(BucketAccumulator(0), InputError);
  EXPECT_THROW(BucketAccumulator(86401), InputError);
}

}  // namespace
}  // namespace migpower
