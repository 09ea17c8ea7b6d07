#include "ledger/process_ledger.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "attribution/attributor.hpp"
#include "attribution/process_split.hpp"
#include "attribution/test_frames.hpp"
#include "ledger/energy_ledger.hpp"

namespace migpower {
namespace {

using testing::instance;

constexpr double kTol = 1e-9;

ProcessSample process(unsigned pid, std::string name, std::optional<int> gi,
                      std::optional<double> sm_util = {}) {
  ProcessSample p;
  p.gpu_uuid = "GPU-a";
  p.gpu_i_id = gi;
  p.pid = pid;
  p.name = std::move(name);
  p.sm_util_pct = sm_util;
  return p;
}

// Frames and their process rows through the attributor, both ledgers and the splitter, as
// `migpower attribute --processes` does.
struct Pipeline {
  explicit Pipeline(AttributionOptions options) : attributor(options) {}
  Attributor attributor;
  EnergyLedger energy;
  ProcessLedger processes;
  ProcessSplitter splitter;
  FrameAttribution attribution;
  FrameProcessSplit split;
  void add(const Frame& frame, const std::vector<ProcessSample>& rows) {
    attributor.attribute(frame, attribution);
    energy.add(frame, attribution);
    splitter.split(frame, attribution, rows, split);
    processes.add(frame, split, energy);
  }
};

// An A100 40GB without MIG: the whole card is instance 0. Its idle floor is 55 W.
Frame full_a100(double t, std::optional<double> power, std::optional<double> energy_mj = {}) {
  Frame f = testing::frame("GPU-a", "NVIDIA A100-SXM4-40GB", power, t);
  f.energy_mj = energy_mj;
  f.instances = {instance(0, "", 0)};
  return f;
}

const ProcessEnergy& find(const ProcessLedger& ledger, unsigned pid, const std::string& name) {
  const auto& all = ledger.processes();
  const auto it = std::find_if(all.begin(), all.end(), [&](const ProcessEnergy& e) {
    return e.pid == pid && e.name == name;
  });
  if (it == all.end()) throw std::runtime_error("no process " + std::to_string(pid) + " " + name);
  return *it;
}

TEST(EnergyLedger, LastJoulesPerWattIsTheLastFramesIntervalEnergyPerWatt) {
  EnergyLedger ledger;
  FrameAttribution with_power;
  with_power.has_power = true;
  with_power.shares = {InstanceShare{}};
  const auto add = [&](const Frame& frame) {
    with_power.measured_w = frame.power_w.value_or(0.0);
    with_power.shares[0].power_w = with_power.measured_w;
    ledger.add(frame, frame.power_w ? with_power : FrameAttribution{});
  };
  add(full_a100(0.0, 100.0, 1'000'000.0));
  EXPECT_EQ(ledger.last_joules_per_watt(), 0.0);  // opens the first interval, closes none
  EXPECT_EQ(ledger.last_interval_s(), 0.0);
  add(full_a100(1.0, 200.0, 1'150'000.0));  // 150 J by the counter for 200 W
  EXPECT_DOUBLE_EQ(ledger.last_joules_per_watt(), 0.75);
  EXPECT_EQ(ledger.last_interval_s(), 1.0);
  add(full_a100(2.0, std::nullopt));  // no power: no interval
  EXPECT_EQ(ledger.last_joules_per_watt(), 0.0);
  EXPECT_EQ(ledger.last_interval_s(), 0.0);
  add(full_a100(4.0, 50.0));  // 50 W x 3 s across the gap: 3 J per W
  EXPECT_DOUBLE_EQ(ledger.last_joules_per_watt(), 3.0);
  EXPECT_EQ(ledger.last_interval_s(), 3.0);
  add(full_a100(5.0, 0.0));  // 0 W: no proportions
  EXPECT_EQ(ledger.last_joules_per_watt(), 0.0);
  EXPECT_EQ(ledger.last_interval_s(), 1.0);
}

// Worked by hand. Static power is the catalog's 55 W idle floor, all of it the one instance's;
// among processes, static equally and dynamic by SM utilization.
TEST(ProcessLedger, IntegratesEachProcessLikeTheInstances) {
  Pipeline p({SplitMethod::equal, IdlePolicy::slices, Activity::gr_engine});
  // t=0, 100 W: static 27.5 W each; dynamic 45 W by 30:10 = 33.75, 11.25. No interval yet.
  p.add(full_a100(0.0, 100.0, 1'000'000.0),
        {process(1, "a", std::nullopt, 30.0), process(2, "b", std::nullopt, 10.0)});
  // t=1, 200 W, 150 J by the counter (0.75 J per W): dynamic 145 W = 108.75 + 36.25, so
  // a = 136.25 W -> 102.1875 J and b = 63.75 W -> 47.8125 J.
  p.add(full_a100(1.0, 200.0, 1'150'000.0),
        {process(1, "a", std::nullopt, 30.0), process(2, "b", std::nullopt, 10.0)});
  // t=3, 160 W, no counter: 320 J (2 J per W). pid 2 now runs another program ("c": another
  // row), and "d" starts; neither has a sample, so a (50 %) takes all 105 W of dynamic power.
  // Static 55 / 3 W each: a = 123.333 W -> 246.667 J, c = d = 18.333 W -> 36.667 J.
  p.add(full_a100(3.0, 160.0), {process(1, "a", std::nullopt, 50.0), process(2, "c", std::nullopt),
                                process(3, "d", std::nullopt)});
  // t=4, 120 W: no process, 120 J stay with the instance as "no process".
  p.add(full_a100(4.0, 120.0), {});

  ASSERT_EQ(p.processes.processes().size(), 4u);
  const ProcessEnergy& a = find(p.processes, 1, "a");
  EXPECT_NEAR(a.energy_j, 102.1875 + 740.0 / 3.0, kTol);
  EXPECT_NEAR(a.static_energy_j, 27.5 * 0.75 + 55.0 / 3.0 * 2.0, kTol);
  EXPECT_NEAR(a.dynamic_energy_j, 108.75 * 0.75 + 105.0 * 2.0, kTol);
  EXPECT_EQ(a.frames, 3u);
  EXPECT_NEAR(a.mean_power_w(), (61.25 + 136.25 + 370.0 / 3.0) / 3.0, kTol);
  EXPECT_EQ(a.seconds, 3.0);
  EXPECT_EQ(a.first_seen_s, 0.0);
  EXPECT_EQ(a.last_seen_s, 3.0);
  EXPECT_EQ(a.gpu_uuid, "GPU-a");
  EXPECT_EQ(a.gpu_i_id, 0);

  const ProcessEnergy& b = find(p.processes, 2, "b");
  EXPECT_NEAR(b.energy_j, 47.8125, kTol);
  EXPECT_EQ(b.frames, 2u);
  EXPECT_NEAR(b.mean_power_w(), (38.75 + 63.75) / 2.0, kTol);
  EXPECT_EQ(b.seconds, 1.0);
  EXPECT_EQ(b.last_seen_s, 1.0);

  const ProcessEnergy& c = find(p.processes, 2, "c");  // the reused pid: its own row
  EXPECT_NEAR(c.energy_j, 110.0 / 3.0, kTol);
  EXPECT_EQ(c.frames, 1u);
  EXPECT_EQ(c.seconds, 2.0);
  EXPECT_EQ(c.first_seen_s, 3.0);
  EXPECT_NEAR(find(p.processes, 3, "d").energy_j, 110.0 / 3.0, kTol);

  ASSERT_EQ(p.processes.instances().size(), 1u);
  const InstanceProcessEnergy& whole = p.processes.instances()[0];
  EXPECT_NEAR(whole.energy_j, 150.0 + 320.0 + 120.0, kTol);
  EXPECT_NEAR(whole.unassigned_j, 120.0, kTol);
  EXPECT_EQ(whole.frames_without_process, 1u);
  ASSERT_EQ(p.energy.instances().size(), 1u);
  EXPECT_NEAR(whole.energy_j, p.energy.instances()[0].energy_j, kTol);
  EXPECT_EQ(p.processes.ignored(), 0u);
}

// A MIG card whose processes come and go (pids reused by other programs), some frames without
// power, a counter that resets, and a layout change: per instance, the processes' energy plus
// its "no process" energy equals the instance's energy in EnergyLedger, and all of it plus the
// card's unattributed energy equals the card's.
void expect_conserved(IdlePolicy policy) {
  Pipeline p({SplitMethod::utilization, policy, Activity::gr_engine});
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  double counter_mj = 5'000'000.0;
  for (int k = 0; k < 600; ++k) {
    const double t = k * 0.5;
    const double power = 70.0 + 250.0 * unit(rng);
    Frame frame = testing::frame("GPU-a", "NVIDIA A100-SXM4-40GB", power, t);
    if (k % 97 == 13) frame.power_w.reset();
    counter_mj += power * 0.5 * 1000.0 * (0.9 + 0.2 * unit(rng));
    if (k == 300) counter_mj = 0.0;  // a reset
    if (k % 3 != 0) frame.energy_mj = counter_mj;
    if (k < 400) {
      frame.instances = {instance(1, "3g.20gb", 3), instance(5, "2g.10gb", 2),
                         instance(13, "1g.5gb", 1)};
    } else {  // a new layout: id 1 is now a 4g.20gb
      frame.instances = {instance(1, "4g.20gb", 4), instance(13, "1g.5gb", 1)};
    }
    for (InstanceSample& sample : frame.instances) sample.set(Activity::gr_engine, unit(rng));
    std::vector<ProcessSample> rows;
    for (const InstanceSample& sample : frame.instances) {
      const int n = static_cast<int>(unit(rng) * 3.0);  // 0 to 2 processes
      for (int i = 0; i < n; ++i) {
        const auto pid = static_cast<unsigned>(100 * sample.gpu_i_id + i);
        const std::string name = (k / 50) % 2 == 0 ? "job" : "other";  // pids get reused
        rows.push_back(process(pid, name, sample.gpu_i_id));
      }
    }
    rows.push_back(process(999, "lost", std::nullopt));  // no instance: ignored
    p.add(frame, rows);
  }

  const CardEnergy& card = p.energy.cards().at(0);
  double card_sum = card.unattributed_j;
  ASSERT_EQ(p.processes.instances().size(), p.energy.instances().size());
  for (const InstanceEnergy& expected : p.energy.instances()) {
    const auto& all = p.processes.instances();
    const auto it = std::find_if(all.begin(), all.end(), [&](const InstanceProcessEnergy& e) {
      return e.gpu_i_id == expected.gpu_i_id && e.profile == expected.profile;
    });
    ASSERT_NE(it, all.end()) << expected.gpu_i_id << " " << expected.profile;
    double sum = it->unassigned_j;
    for (const ProcessEnergy& process : p.processes.processes()) {
      if (process.gpu_i_id == expected.gpu_i_id && process.profile == expected.profile) {
        sum += process.energy_j;
        EXPECT_NEAR(process.static_energy_j + process.dynamic_energy_j, process.energy_j,
                    kTol * std::max(1.0, process.energy_j));
      }
    }
    EXPECT_NEAR(it->energy_j, expected.energy_j, kTol * std::max(1.0, expected.energy_j));
    EXPECT_NEAR(sum, expected.energy_j, kTol * std::max(1.0, expected.energy_j))
        << expected.gpu_i_id << " " << expected.profile;
    EXPECT_GT(it->unassigned_j, 0.0);  // some frames ran nothing there
    card_sum += sum;
  }
  EXPECT_GT(card.energy_j, 0.0);
  EXPECT_NEAR(card_sum, card.energy_j, kTol * card.energy_j);
  EXPECT_EQ(p.processes.ignored(), 600u);
  // (id, profile, pid, name): the 4g.20gb's processes are rows of their own, and so is each
  // program a reused pid ran.
  const auto& all = p.processes.processes();
  EXPECT_TRUE(std::any_of(all.begin(), all.end(), [](const ProcessEnergy& e) {
    return e.gpu_i_id == 1 && e.profile == "4g.20gb" && e.pid == 100;
  }));
  EXPECT_EQ(std::count_if(all.begin(), all.end(),
                          [](const ProcessEnergy& e) { return e.gpu_i_id == 13 && e.pid == 1300; }),
            2);  // "job" and "other"
}

TEST(ProcessLedger, ConservesInstanceAndCardEnergyWithSlicePolicy) {
  expect_conserved(IdlePolicy::slices);
}

TEST(ProcessLedger, ConservesInstanceAndCardEnergyWithStaticLeftUnattributed) {
  expect_conserved(IdlePolicy::none);
}

TEST(ProcessLedger, RejectsASplitOfAnotherFrame) {
  EnergyLedger energy;
  ProcessLedger ledger;
  FrameProcessSplit split;
  split.has_power = true;  // but no instances, where the frame has one
  EXPECT_THROW(ledger.add(full_a100(0.0, 100.0), split, energy), std::invalid_argument);
}

}  // namespace
}  // namespace migpower
