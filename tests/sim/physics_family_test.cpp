#include "sim/physics_family.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "sim/physics.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

const GpuModel& a100() {
  const GpuModel* model = find_gpu_model("NVIDIA A100-SXM4-40GB");
  EXPECT_NE(model, nullptr);
  return *model;
}

std::vector<Frame> generate(const std::string& scenario, double seconds, std::uint64_t seed,
                            const std::string& physics, std::uint64_t physics_seed = 1) {
  SimulationOptions options;
  options.scenario = scenario;
  options.seed = seed;
  options.duration_s = seconds;
  options.physics = physics;
  options.physics_seed = physics_seed;
  Simulator sim(options);
  std::vector<Frame> frames;
  Frame frame;
  while (sim.next(frame)) frames.push_back(frame);
  return frames;
}

TEST(PhysicsFamily, NominalLeavesTheCatalogPhysicsAsItWas) {
  const CardPhysics base = card_physics(a100());
  CardPhysics p = base;
  apply_physics_draw(draw_physics("nominal", 7), p);
  const ActivityVector load = {0.99, 0.95, 0.33, 0.82, 0.42, 0.0, 0.05, 0.25};
  for (double f : {base.min_clock_mhz, 900.0, 1200.0, base.max_clock_mhz}) {
    EXPECT_EQ(clock_factor(p, f), clock_factor(base, f)) << f;
    EXPECT_EQ(static_power_w(p, 60.0, f), static_power_w(base, 60.0, f)) << f;
  }
  const DynamicDemand a = dynamic_demand(base, load, 0.4, 0.5);
  const DynamicDemand b = dynamic_demand(p, load, 0.4, 0.5);
  EXPECT_EQ(a.compute_w, b.compute_w);
  EXPECT_EQ(a.memory_w, b.memory_w);
}

TEST(PhysicsFamily, ExistingScenariosStayReproducible) {
  // Frame 299 of `migpower simulate --scenario mixed --seed 3`, as written before physics
  // families existed: the default physics must not move a bit.
  const std::vector<Frame> frames = generate("mixed", 300.0, 3, "nominal");
  ASSERT_EQ(frames.size(), 300u);
  const Frame& last = frames.back();
  EXPECT_EQ(*last.power_w, 325.334);
  EXPECT_EQ(*last.energy_mj, 1086890573.0);
  ASSERT_EQ(last.instances.size(), 4u);
  EXPECT_EQ(*last.instances[0].truth_power_w, 136.51);
  EXPECT_EQ(*last.instances[3].truth_power_w, 33.579);
}

TEST(PhysicsFamily, RandomDrawsAreReproducibleVariedAndInRange) {
  const std::string a = describe_physics(draw_physics("random", 1003));
  EXPECT_EQ(a, describe_physics(draw_physics("random", 1003)));
  std::set<std::string> seen;
  int capped = 0;
  int lagging = 0;
  int power_law = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const PhysicsDraw d = draw_physics("random", seed);
    seen.insert(describe_physics(d));
    EXPECT_GE(d.idle_scale, 0.8);
    EXPECT_LE(d.idle_scale, 1.2);
    EXPECT_GE(d.leakage_scale, 0.8);
    EXPECT_LE(d.leakage_scale, 1.2);
    EXPECT_GE(d.memory_sm_clock_fraction, 0.0);
    EXPECT_LE(d.memory_sm_clock_fraction, 0.5);
    EXPECT_GE(d.card_scale, 0.92);
    EXPECT_LE(d.card_scale, 1.08);
    if (d.clock_exponent > 0.0) {
      ++power_law;
      EXPECT_GE(d.clock_exponent, 2.0);
      EXPECT_LE(d.clock_exponent, 3.0);
    }
    if (d.power_cap_fraction) {
      ++capped;
      EXPECT_GE(*d.power_cap_fraction, 0.6);
      EXPECT_LE(*d.power_cap_fraction, 0.85);
    }
    if (d.sensor_window_s > 0.0) ++lagging;
  }
  EXPECT_EQ(seen.size(), 200u);
  // Every axis is exercised, none always.
  EXPECT_GT(capped, 30);
  EXPECT_LT(capped, 90);
  EXPECT_GT(lagging, 80);
  EXPECT_LT(lagging, 160);
  EXPECT_GT(power_law, 110);
  EXPECT_LT(power_law, 190);
}

TEST(PhysicsFamily, UnknownFamilyIsAnErrorNamingTheKnownOnes) {
  try {
    (void)draw_physics("warp-drive", 1);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("clock-cubic"), std::string::npos) << e.what();
  }
  SimulationOptions options;
  options.physics = "warp-drive";
  EXPECT_THROW(Simulator{options}, InputError);
  for (const auto& family : physics_families()) {
    EXPECT_NO_THROW((void)draw_physics(family.name, 1)) << family.name;
  }
}

TEST(PhysicsFamily, ClockExponentAndMemoryOnTheSmClock) {
  CardPhysics p = card_physics(a100());
  apply_physics_draw(draw_physics("clock-cubic", 1), p);
  EXPECT_NEAR(clock_factor(p, 0.5 * p.max_clock_mhz), 0.125, 1e-12);
  EXPECT_DOUBLE_EQ(clock_factor(p, p.max_clock_mhz), 1.0);

  const CardPhysics base = card_physics(a100());
  CardPhysics m = base;
  apply_physics_draw(draw_physics("memory-on-sm-clock", 1), m);
  const ActivityVector memory_bound = {0.98, 0.40, 0.30, 0.0, 0.88, 0.0, 0.08, 0.0};
  const DynamicDemand nominal = dynamic_demand(base, memory_bound, 1.0, 1.0);
  const DynamicDemand moved = dynamic_demand(m, memory_bound, 1.0, 1.0);
  // The same power at full clock, 40 % of HBM power moved onto the SM clock.
  EXPECT_NEAR(moved.compute_w + moved.memory_w, nominal.compute_w + nominal.memory_w, 1e-9);
  EXPECT_NEAR(moved.memory_w, 0.6 * nominal.memory_w, 1e-9);
  const double half = 0.5 * base.max_clock_mhz;
  EXPECT_LT(dynamic_power_w(m, moved, half), dynamic_power_w(base, nominal, half));
}

TEST(PhysicsFamily, CapAndIdleFloorShowInTheFrames) {
  const auto capped = generate("mixed", 60.0, 1, "power-cap");
  EXPECT_DOUBLE_EQ(*capped.front().power_limit_w, 0.7 * a100().tdp_w);
  // An idle floor 20 % up: the idle card's first reading is higher than nominal.
  const auto high = generate("seven-1g", 30.0, 1, "idle-high");
  const auto nominal = generate("seven-1g", 30.0, 1, "nominal");
  double high_energy = *high.back().energy_mj - *high.front().energy_mj;
  double nominal_energy = *nominal.back().energy_mj - *nominal.front().energy_mj;
  EXPECT_GT(high_energy, nominal_energy);
}

TEST(PhysicsFamily, SlowSensorLagsTheTruthButNotTheEnergyCounter) {
  // The same card and jobs: a sensor with a 2 s window strays further from the frame's true
  // mean power (the truth's sum) than one averaging over the frame, while the energy counter
  // counts the same joules.
  const auto slow = generate("mixed", 600.0, 2, "slow-sensor");
  const auto nominal = generate("mixed", 600.0, 2, "nominal");
  ASSERT_EQ(slow.size(), nominal.size());
  const auto mean_gap = [](const std::vector<Frame>& frames) {
    double sum = 0.0;
    for (const auto& f : frames) {
      double truth = 0.0;
      for (const auto& inst : f.instances) truth += *inst.truth_power_w;
      sum += std::abs(*f.power_w - truth);
    }
    return sum / static_cast<double>(frames.size());
  };
  EXPECT_GT(mean_gap(slow), 1.5 * mean_gap(nominal));
  EXPECT_EQ(*slow.back().energy_mj, *nominal.back().energy_mj);
}

}  // namespace
}  // namespace migpower
