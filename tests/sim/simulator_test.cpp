#include "sim/simulator.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "sim/physics.hpp"

namespace migpower {
namespace {

std::vector<Frame> generate(const std::string& scenario, double seconds, std::uint64_t seed = 1,
                            double interval = 1.0) {
  SimulationOptions options;
  options.scenario = scenario;
  options.seed = seed;
  options.duration_s = seconds;
  options.interval_s = interval;
  Simulator sim(options);
  std::vector<Frame> frames;
  Frame frame;
  while (sim.next(frame)) frames.push_back(frame);
  return frames;
}

bool same_frames(const std::vector<Frame>& a, const std::vector<Frame>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const Frame& x = a[i];
    const Frame& y = b[i];
    if (x.timestamp_text != y.timestamp_text || x.power_w != y.power_w ||
        x.energy_mj != y.energy_mj || x.sm_clock_mhz != y.sm_clock_mhz ||
        x.temperature_c != y.temperature_c || x.instances.size() != y.instances.size()) {
      return false;
    }
    for (std::size_t j = 0; j < x.instances.size(); ++j) {
      const auto& p = x.instances[j];
      const auto& q = y.instances[j];
      if (p.gpu_i_id != q.gpu_i_id || p.activity != q.activity || p.fb_used_mib != q.fb_used_mib ||
          p.truth_power_w != q.truth_power_w) {
        return false;
      }
    }
  }
  return true;
}

double truth_sum(const Frame& f) {
  double sum = 0.0;
  for (const auto& inst : f.instances) sum += *inst.truth_power_w;
  return sum;
}

bool all_idle(const InstanceSample& inst) {
  return std::all_of(inst.activity.begin(), inst.activity.end(),
                     [](const auto& v) { return *v == 0.0; });
}

TEST(Simulator, SameSeedSameFramesOtherSeedOtherFrames) {
  const auto a = generate("mixed", 200, 42);
  const auto b = generate("mixed", 200, 42);
  const auto c = generate("mixed", 200, 43);
  ASSERT_EQ(a.size(), 200u);
  EXPECT_TRUE(same_frames(a, b));
  EXPECT_FALSE(same_frames(a, c));
  // The card's identity does not depend on the seed.
  EXPECT_EQ(a.front().gpu_uuid, c.front().gpu_uuid);
}

TEST(Simulator, EveryScenarioProducesValidFrames) {
  ASSERT_GE(simulator_scenarios().size(), 5u);
  std::set<std::string> uuids;
  for (const auto& info : simulator_scenarios()) {
    SCOPED_TRACE(info.name);
    EXPECT_FALSE(info.description.empty());
    const auto frames = generate(info.name, 400, 3, 0.5);
    ASSERT_EQ(frames.size(), 800u);
    const GpuModel* model = find_gpu_model(frames.front().gpu_model);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(frames.front().gpu_uuid.size(), 40u);
    EXPECT_EQ(frames.front().gpu_uuid.rfind("GPU-", 0), 0u);
    uuids.insert(frames.front().gpu_uuid);

    std::vector<std::string> profiles;
    std::set<int> ids;
    for (const auto& inst : frames.front().instances) {
      profiles.push_back(inst.profile);
      ids.insert(inst.gpu_i_id);
    }
    EXPECT_TRUE(place_profiles(*model, profiles).has_value());
    EXPECT_EQ(ids.size(), profiles.size());

    const SimulationOptions defaults;
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const Frame& f = frames[i];
      EXPECT_NEAR(f.timestamp_s, defaults.start_timestamp_s + 0.5 * static_cast<double>(i), 1e-6);
      char text[48];
      std::snprintf(text, sizeof text, "%.3f", f.timestamp_s);
      EXPECT_EQ(f.timestamp_text, text);
      ASSERT_TRUE(f.power_w && f.energy_mj && f.sm_clock_mhz && f.mem_clock_mhz &&
                  f.temperature_c && f.power_limit_w);
      EXPECT_GT(*f.power_w, model->idle_w * 0.8);
      EXPECT_LT(*f.power_w, model->tdp_w * 1.2);
      EXPECT_GE(*f.sm_clock_mhz, model->min_sm_clock_mhz);
      EXPECT_LE(*f.sm_clock_mhz, model->max_sm_clock_mhz);
      EXPECT_GT(*f.temperature_c, 20.0);
      EXPECT_LT(*f.temperature_c, 95.0);
      if (i > 0) {
        EXPECT_GT(*f.energy_mj, *frames[i - 1].energy_mj);
      }
      ASSERT_EQ(f.instances.size(), profiles.size());
      for (const auto& inst : f.instances) {
        const MigProfile* p = model->find_profile(inst.profile);
        ASSERT_NE(p, nullptr) << inst.profile;
        EXPECT_EQ(inst.compute_slices, p->compute_slices);
        EXPECT_EQ(inst.memory_slices, p->memory_slices);
        for (const auto& v : inst.activity) {
          ASSERT_TRUE(v.has_value());
          EXPECT_GE(*v, 0.0);
          EXPECT_LE(*v, 1.0);
        }
        EXPECT_LE(*inst.get(Activity::sm), *inst.get(Activity::gr_engine) + 1e-12);
        ASSERT_TRUE(inst.fb_used_mib.has_value());
        EXPECT_GE(*inst.fb_used_mib, 0.0);
        EXPECT_LE(*inst.fb_used_mib, p->memory_gb * 1024.0);
        EXPECT_FALSE(inst.workload.empty());
        ASSERT_TRUE(inst.truth_power_w.has_value());
        EXPECT_GT(*inst.truth_power_w, 0.0);
      }
    }
  }
  EXPECT_EQ(uuids.size(), simulator_scenarios().size());
}

TEST(Simulator, TruthSumsToTheTrueCardPowerAndMeasuredDiffersByNoise) {
  const auto frames = generate("seven-1g", 600, 5);
  double abs_error = 0.0;
  for (std::size_t i = 1; i < frames.size(); ++i) {
    // The energy counter integrates the true power: its slope is the true mean power.
    const double true_w = (*frames[i].energy_mj - *frames[i - 1].energy_mj) / 1000.0;
    EXPECT_NEAR(truth_sum(frames[i]), true_w, 0.01);
    abs_error += std::abs(truth_sum(frames[i]) - *frames[i].power_w);
  }
  const double mean_abs = abs_error / static_cast<double>(frames.size() - 1);
  EXPECT_LT(mean_abs, 3.0);
  EXPECT_GT(mean_abs, 0.2);  // the sensor is noisy, not an echo of the truth
}

TEST(Simulator, CappedCardThrottlesAndStaysNearItsLimit) {
  const auto frames = generate("capped", 900, 2);
  const GpuModel* model = find_gpu_model(frames.front().gpu_model);
  ASSERT_NE(model, nullptr);
  int throttled = 0;
  std::vector<double> power;
  for (const auto& f : frames) {
    EXPECT_EQ(*f.power_limit_w, 250.0);
    if (*f.sm_clock_mhz < model->max_sm_clock_mhz) ++throttled;
    power.push_back(*f.power_w);
  }
  EXPECT_GT(throttled, static_cast<int>(frames.size()) / 3);
  std::sort(power.begin(), power.end());
  EXPECT_LT(power[power.size() * 95 / 100], 250.0 * 1.03);
  EXPECT_GT(power.back(), 240.0);  // it does reach the limit

  // Without the cap, a busy card runs at its maximum clock.
  int at_max = 0;
  const auto mixed = generate("mixed", 600, 2);
  for (const auto& f : mixed) {
    if (*f.sm_clock_mhz == model->max_sm_clock_mhz) ++at_max;
  }
  EXPECT_EQ(at_max, static_cast<int>(mixed.size()));
}

TEST(Simulator, IdleInstanceIsChargedOnlyItsStaticShare) {
  const auto frames = generate("seven-1g", 600, 9);
  const GpuModel* model = find_gpu_model(frames.front().gpu_model);
  const CardPhysics physics = card_physics(*model);
  int compared = 0;
  for (const auto& f : frames) {
    const InstanceSample* idle = nullptr;
    for (const auto& inst : f.instances) {
      if (inst.workload == "idle") idle = &inst;
    }
    ASSERT_NE(idle, nullptr);
    ASSERT_TRUE(all_idle(*idle));
    // The card's static power at its reported temperature, split by compute slices (1 of 7).
    const double static_share = static_power_w(physics, *f.temperature_c, *f.sm_clock_mhz) / 7.0;
    EXPECT_NEAR(*idle->truth_power_w, static_share, 0.1);
    for (const auto& inst : f.instances) {
      if (all_idle(inst)) {
        EXPECT_NEAR(*inst.truth_power_w, *idle->truth_power_w, 1e-9);
        ++compared;
      } else {
        EXPECT_GT(*inst.truth_power_w, *idle->truth_power_w);
      }
    }
  }
  EXPECT_GT(compared, static_cast<int>(frames.size()));  // other instances were idle too
}

TEST(Simulator, LoadHeatsTheCardAndHeatRaisesIdlePower) {
  const auto frames = generate("single", 900, 4);
  double coolest = 1e9;
  double hottest = -1e9;
  for (const auto& f : frames) {
    coolest = std::min(coolest, *f.temperature_c);
    hottest = std::max(hottest, *f.temperature_c);
  }
  EXPECT_GT(hottest - coolest, 5.0);
}

TEST(Simulator, RejectsBadOptions) {
  SimulationOptions unknown;
  unknown.scenario = "nope";
  try {
    Simulator sim(unknown);
    FAIL() << "no error";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("nope"), std::string::npos);
    for (const auto& info : simulator_scenarios()) {
      EXPECT_NE(message.find(info.name), std::string::npos) << info.name;
    }
  }
  SimulationOptions zero_duration;
  zero_duration.duration_s = 0.0;
  EXPECT_THROW(Simulator{zero_duration}, InputError);
  SimulationOptions negative_interval;
  negative_interval.interval_s = -1.0;
  EXPECT_THROW(Simulator{negative_interval}, InputError);
  SimulationOptions nan_interval;
  nan_interval.interval_s = std::nan("");
  EXPECT_THROW(Simulator{nan_interval}, InputError);
}

TEST(Simulator, StopsAfterTheDuration) {
  SimulationOptions options;
  options.scenario = "single";
  options.duration_s = 10.0;
  options.interval_s = 2.5;
  Simulator sim(options);
  Frame f;
  int n = 0;
  while (sim.next(f)) ++n;
  EXPECT_EQ(n, 4);
  EXPECT_FALSE(sim.next(f));
}

}  // namespace
}  // namespace migpower
