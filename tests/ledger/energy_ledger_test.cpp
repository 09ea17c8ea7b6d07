#include "ledger/energy_ledger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "attribution/attributor.hpp"
#include "attribution/test_frames.hpp"
#include "core/error.hpp"

namespace migpower {
namespace {

using testing::instance;

constexpr double kTol = 1e-9;

// An A100 40GB with 3g (id 1) + 2g (id 2) + 1g (id 3) + 1g (id 4).
Frame a100(double t, std::optional<double> power, std::optional<double> energy_mj = std::nullopt) {
  Frame f = testing::frame("GPU-a", "NVIDIA A100-SXM4-40GB", power, t);
  f.energy_mj = energy_mj;
  f.instances = {instance(1, "3g.20gb", 3, 0.5), instance(2, "2g.10gb", 2, 0.5),
                 instance(3, "1g.5gb", 1, 0.5), instance(4, "1g.5gb", 1, 0.5)};
  return f;
}

// Feeds frames through an attributor into a ledger.
struct Pipeline {
  Attributor attributor{{SplitMethod::slices, IdlePolicy::slices, Activity::gr_engine}};
  EnergyLedger ledger;
  FrameAttribution out;
  void add(const Frame& f) {
    attributor.attribute(f, out);
    ledger.add(f, out);
  }
};

const InstanceEnergy& find(const EnergyLedger& ledger, const std::string& uuid, int id,
                           const std::string& profile) {
  const auto& all = ledger.instances();
  auto it = std::find_if(all.begin(), all.end(), [&](const InstanceEnergy& e) {
    return e.gpu_uuid == uuid && e.gpu_i_id == id && e.profile == profile;
  });
  if (it == all.end()) throw std::runtime_error("no instance " + uuid + "/" + std::to_string(id));
  return *it;
}

void expect_conserved(const EnergyLedger& ledger) {
  for (const CardEnergy& card : ledger.cards()) {
    double sum = card.unattributed_j;
    for (const InstanceEnergy& e : ledger.instances()) {
      if (e.gpu_uuid != card.gpu_uuid) continue;
      sum += e.energy_j;
      EXPECT_NEAR(e.static_energy_j + e.dynamic_energy_j, e.energy_j,
                  kTol * std::max(1.0, e.energy_j));
      EXPECT_GE(e.energy_j, 0.0);
    }
    EXPECT_NEAR(sum, card.energy_j, kTol * std::max(1.0, card.energy_j)) << card.gpu_uuid;
  }
}

TEST(EnergyLedger, EnergyFromCounter) {
  Pipeline p;
  p.add(a100(0.0, 100.0, 1'000'000.0));
  p.add(a100(1.0, 200.0, 1'150'000.0));  // 150 J by the counter (power x dt would say 200 J)
  p.add(a100(2.0, 180.0, 1'330'000.0));  // 180 J
  ASSERT_EQ(p.ledger.cards().size(), 1u);
  const CardEnergy& card = p.ledger.cards()[0];
  EXPECT_NEAR(card.energy_j, 330.0, kTol);
  EXPECT_EQ(card.counter_intervals, 2u);
  EXPECT_EQ(card.power_intervals, 0u);
  EXPECT_EQ(card.frames, 3u);
  EXPECT_EQ(card.first_timestamp_s, 0.0);
  EXPECT_EQ(card.last_timestamp_s, 2.0);
  EXPECT_EQ(card.gpu_model, "NVIDIA A100-SXM4-40GB");
  // Slices method and policy: each instance holds slices/7 of every frame.
  EXPECT_NEAR(find(p.ledger, "GPU-a", 1, "3g.20gb").energy_j, 330.0 * 3 / 7, kTol);
  EXPECT_NEAR(find(p.ledger, "GPU-a", 3, "1g.5gb").energy_j, 330.0 / 7, kTol);
  expect_conserved(p.ledger);
}

TEST(EnergyLedger, EnergyFromPowerWithoutCounter) {
  Pipeline p;
  p.add(a100(10.0, 100.0));
  p.add(a100(10.5, 200.0));  // 200 W x 0.5 s
  p.add(a100(12.5, 150.0));  // 150 W x 2 s
  const CardEnergy& card = p.ledger.cards()[0];
  EXPECT_NEAR(card.energy_j, 100.0 + 300.0, kTol);
  EXPECT_EQ(card.power_intervals, 2u);
  EXPECT_EQ(card.counter_intervals, 0u);
  // Static and dynamic parts: frame 2 has 55 W static of 200 W, frame 3 55 W of 150 W.
  const InstanceEnergy& big = find(p.ledger, "GPU-a", 1, "3g.20gb");
  EXPECT_NEAR(big.static_energy_j, (55.0 * 0.5 + 55.0 * 2.0) * 3 / 7, kTol);
  EXPECT_NEAR(big.dynamic_energy_j, (145.0 * 0.5 + 95.0 * 2.0) * 3 / 7, kTol);
  EXPECT_EQ(big.frames, 3u);
  EXPECT_NEAR(big.power_sum_w, (100.0 + 200.0 + 150.0) * 3 / 7, kTol);
  EXPECT_NEAR(big.peak_power_w, 200.0 * 3 / 7, kTol);
  expect_conserved(p.ledger);
}

TEST(EnergyLedger, CounterResetFallsBackToPower) {
  Pipeline p;
  p.add(a100(0.0, 100.0, 5'000'000.0));
  p.add(a100(1.0, 120.0, 1'000.0));          // counter went back (driver reload): 120 J by power
  p.add(a100(2.0, 130.0, 131'000.0));        // 130 J by counter again
  p.add(a100(3.0, 140.0, 9'000'000'000.0));  // implausible jump (wrap): 140 J by power
  const CardEnergy& card = p.ledger.cards()[0];
  EXPECT_NEAR(card.energy_j, 120.0 + 130.0 + 140.0, kTol);
  EXPECT_EQ(card.counter_intervals, 1u);
  EXPECT_EQ(card.power_intervals, 2u);
  expect_conserved(p.ledger);
}

TEST(EnergyLedger, CounterOnOneSideOnlyUsesPower) {
  Pipeline p;
  p.add(a100(0.0, 100.0));
  p.add(a100(1.0, 100.0, 50'000.0));
  p.add(a100(2.0, 100.0, 140'000.0));
  const CardEnergy& card = p.ledger.cards()[0];
  EXPECT_NEAR(card.energy_j, 100.0 + 90.0, kTol);
  EXPECT_EQ(card.power_intervals, 1u);
  EXPECT_EQ(card.counter_intervals, 1u);
}

TEST(EnergyLedger, FirstFrameHasNoInterval) {
  Pipeline p;
  p.add(a100(5.0, 300.0, 1'000.0));
  EXPECT_EQ(p.ledger.cards()[0].energy_j, 0.0);
  EXPECT_EQ(p.ledger.instances().size(), 4u);
  EXPECT_EQ(p.ledger.instances()[0].energy_j, 0.0);
  EXPECT_EQ(p.ledger.instances()[0].frames, 1u);
}

TEST(EnergyLedger, FramesWithoutPowerAreBridged) {
  Pipeline counter;
  counter.add(a100(0.0, 100.0, 0.0));
  counter.add(a100(1.0, std::nullopt, 90'000.0));
  counter.add(a100(2.0, 100.0, 250'000.0));  // counter across both seconds: 250 J
  EXPECT_NEAR(counter.ledger.cards()[0].energy_j, 250.0, kTol);
  EXPECT_EQ(counter.ledger.cards()[0].frames, 3u);
  EXPECT_EQ(counter.ledger.cards()[0].frames_without_power, 1u);
  EXPECT_EQ(find(counter.ledger, "GPU-a", 1, "3g.20gb").frames, 2u);
  expect_conserved(counter.ledger);

  Pipeline power;
  power.add(a100(0.0, 100.0));
  power.add(a100(1.0, std::nullopt));
  power.add(a100(2.0, 110.0));  // no counter: the next frame's power over both seconds
  EXPECT_NEAR(power.ledger.cards()[0].energy_j, 220.0, kTol);
  EXPECT_EQ(power.ledger.cards()[0].power_intervals, 1u);
}

TEST(EnergyLedger, UnattributedEnergyFollowsThePolicy) {
  Attributor attributor({SplitMethod::slices, IdlePolicy::none, Activity::gr_engine});
  EnergyLedger ledger;
  FrameAttribution out;
  for (double t : {0.0, 1.0, 2.0}) {
    attributor.attribute(a100(t, 255.0), out);
    ledger.add(a100(t, 255.0), out);
  }
  // 2 intervals of 255 J, 55 J of each static.
  EXPECT_NEAR(ledger.cards()[0].unattributed_j, 110.0, kTol);
  EXPECT_NEAR(find(ledger, "GPU-a", 2, "2g.10gb").energy_j, 400.0 * 2 / 7, kTol);
  EXPECT_EQ(find(ledger, "GPU-a", 2, "2g.10gb").static_energy_j, 0.0);
  expect_conserved(ledger);
}

TEST(EnergyLedger, FrameWithoutInstancesIsAllUnattributed) {
  Pipeline p;
  Frame f = testing::frame("GPU-e", "NVIDIA A100-SXM4-40GB", 60.0, 0.0);
  p.add(f);
  f.timestamp_s = 2.0;
  p.add(f);
  EXPECT_NEAR(p.ledger.cards()[0].energy_j, 120.0, kTol);
  EXPECT_NEAR(p.ledger.cards()[0].unattributed_j, 120.0, kTol);
  EXPECT_TRUE(p.ledger.instances().empty());
}

TEST(EnergyLedger, TruthIsIntegrated) {
  Pipeline p;
  for (int k = 0; k < 4; ++k) {
    Frame f = a100(k * 0.5, 200.0);
    f.instances[0].truth_power_w = 100.0 + 10.0 * k;
    f.instances[0].workload = k < 2 ? "train" : "";
    p.add(f);
  }
  const InstanceEnergy& big = find(p.ledger, "GPU-a", 1, "3g.20gb");
  ASSERT_TRUE(big.truth_energy_j.has_value());
  EXPECT_NEAR(*big.truth_energy_j, (110.0 + 120.0 + 130.0) * 0.5, kTol);
  EXPECT_EQ(big.workload, "train");  // the last non-empty label
  EXPECT_FALSE(find(p.ledger, "GPU-a", 2, "2g.10gb").truth_energy_j.has_value());
}

TEST(EnergyLedger, MultiGpuInterleaving) {
  Pipeline p;
  auto other = [](double t, double power, double energy_mj) {
    Frame f = testing::frame("GPU-h", "NVIDIA H100 80GB HBM3", power, t);
    f.energy_mj = energy_mj;
    f.instances = {instance(1, "4g.40gb", 4, 0.9), instance(2, "3g.40gb", 3, 0.1)};
    return f;
  };
  p.add(a100(0.0, 100.0));
  p.add(other(0.0, 300.0, 0.0));
  p.add(a100(1.0, 150.0));
  p.add(other(1.0, 320.0, 310'000.0));
  p.add(a100(2.0, 170.0));
  p.add(other(2.0, 330.0, 640'000.0));
  ASSERT_EQ(p.ledger.cards().size(), 2u);
  EXPECT_EQ(p.ledger.cards()[0].gpu_uuid, "GPU-a");
  EXPECT_NEAR(p.ledger.cards()[0].energy_j, 150.0 + 170.0, kTol);
  EXPECT_NEAR(p.ledger.cards()[1].energy_j, 640.0, kTol);
  EXPECT_EQ(p.ledger.cards()[1].counter_intervals, 2u);
  EXPECT_EQ(p.ledger.instances().size(), 6u);
  EXPECT_NEAR(find(p.ledger, "GPU-h", 1, "4g.40gb").energy_j, 640.0 * 4 / 7, kTol);
  expect_conserved(p.ledger);
}

TEST(EnergyLedger, LayoutChangeStartsNewEntries) {
  Pipeline p;
  p.add(a100(0.0, 100.0));
  p.add(a100(1.0, 140.0));
  Frame after = testing::frame("GPU-a", "NVIDIA A100-SXM4-40GB", 210.0, 2.0);
  after.instances = {instance(1, "7g.40gb", 7, 0.9)};
  p.add(after);
  after.timestamp_s = 3.0;
  p.add(after);
  EXPECT_EQ(p.ledger.instances().size(), 5u);
  EXPECT_NEAR(find(p.ledger, "GPU-a", 1, "3g.20gb").energy_j, 140.0 * 3 / 7, kTol);
  EXPECT_NEAR(find(p.ledger, "GPU-a", 1, "7g.40gb").energy_j, 420.0, kTol);
  EXPECT_EQ(find(p.ledger, "GPU-a", 1, "7g.40gb").frames, 2u);
  EXPECT_NEAR(p.ledger.cards()[0].energy_j, 140.0 + 420.0, kTol);
  expect_conserved(p.ledger);
}

TEST(EnergyLedger, ZeroWattFrameLeavesCounterEnergyUnattributed) {
  Pipeline p;
  p.add(a100(0.0, 0.0, 0.0));
  // The counter saw 5 J (within the 10 J slack) while the power reading says 0 W.
  p.add(a100(1.0, 0.0, 5'000.0));
  EXPECT_NEAR(p.ledger.cards()[0].energy_j, 5.0, kTol);
  EXPECT_NEAR(p.ledger.cards()[0].unattributed_j, 5.0, kTol);
  EXPECT_EQ(p.ledger.cards()[0].counter_intervals, 1u);
  EXPECT_EQ(find(p.ledger, "GPU-a", 1, "3g.20gb").energy_j, 0.0);
  expect_conserved(p.ledger);
}

TEST(EnergyLedger, TimeGoingBackThrows) {
  Pipeline p;
  p.add(a100(5.0, 100.0));
  EXPECT_THROW(p.add(a100(4.0, 100.0)), InputError);
}

TEST(EnergyLedger, MismatchedAttributionIsRejected) {
  EnergyLedger ledger;
  FrameAttribution wrong;
  wrong.has_power = true;
  wrong.measured_w = 100.0;
  EXPECT_THROW(ledger.add(a100(0.0, 100.0), wrong), std::invalid_argument);
}

// A random sequence of frames on two GPUs, with missing power, counter resets and a layout
// change half-way: the instances' energy plus the unattributed energy equals the card's.
TEST(EnergyLedger, ConservationOverRandomSequence) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (IdlePolicy policy : {IdlePolicy::slices, IdlePolicy::active, IdlePolicy::none}) {
    Attributor attributor({SplitMethod::utilization, policy, Activity::gr_engine});
    EnergyLedger ledger;
    FrameAttribution out;
    std::array<double, 2> counter_mj = {0.0, 0.0};
    double t = 0.0;
    for (int k = 0; k < 2000; ++k) {
      const std::size_t g = static_cast<std::size_t>(k % 2);
      if (g == 0) t += 0.1 + unit(rng);
      Frame f = testing::frame(g == 0 ? "GPU-0" : "GPU-1",
                               g == 0 ? "NVIDIA A100-SXM4-40GB" : "Unknown GPU", std::nullopt, t);
      if (unit(rng) > 0.05) f.power_w = unit(rng) < 0.1 ? unit(rng) * 50.0 : unit(rng) * 400.0;
      counter_mj[g] += unit(rng) * 400'000.0;
      if (unit(rng) < 0.02) counter_mj[g] = 0.0;  // reset
      if (unit(rng) < 0.8) f.energy_mj = counter_mj[g];
      if (k < 1000) {
        f.instances = {instance(1, "3g.20gb", 3), instance(2, "2g.10gb", 2),
                       instance(3, "1g.5gb", 1), instance(4, "1g.5gb", 1)};
      } else {
        f.instances = {instance(1, "4g.20gb", 4), instance(2, "3g.20gb", 3)};
      }
      for (InstanceSample& s : f.instances) {
        if (unit(rng) < 0.8) s.set(Activity::gr_engine, unit(rng) < 0.3 ? 0.0 : unit(rng));
        if (unit(rng) < 0.5) s.truth_power_w = unit(rng) * 100.0;
      }
      attributor.attribute(f, out);
      ledger.add(f, out);
    }
    ASSERT_EQ(ledger.cards().size(), 2u);
    EXPECT_EQ(ledger.instances().size(), 2u * (4u + 2u));
    for (const CardEnergy& card : ledger.cards()) {
      EXPECT_GT(card.energy_j, 0.0);
      EXPECT_GT(card.counter_intervals, 0u);
      EXPECT_GT(card.power_intervals, 0u);
      EXPECT_GT(card.frames_without_power, 0u);
      EXPECT_EQ(card.frames, 1000u);
    }
    expect_conserved(ledger);
  }
}

}  // namespace
}  // namespace migpower
