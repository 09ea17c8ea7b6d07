#include "sim/physics.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/catalog.hpp"

namespace migpower {
namespace {

CardPhysics a100() {
  const GpuModel* model = find_gpu_model("NVIDIA A100-SXM4-40GB");
  EXPECT_NE(model, nullptr);
  return card_physics(*model);
}

ActivityVector tensor_load() {
  // gr_engine, sm, sm_occupancy, tensor, dram, fp64, fp32, fp16
  return {0.99, 0.95, 0.33, 0.82, 0.42, 0.0, 0.05, 0.25};
}

TEST(SimPhysics, StaticPowerRisesWithTemperature) {
  const CardPhysics p = a100();
  const double f = p.max_clock_mhz;
  EXPECT_NEAR(static_power_w(p, p.reference_temp_c, f), p.idle_w, 1e-9);
  double previous = static_power_w(p, 20.0, f);
  for (double t = 25.0; t <= 90.0; t += 5.0) {
    const double now = static_power_w(p, t, f);
    EXPECT_GT(now, previous) << t;
    previous = now;
  }
  // Hot leakage is a sizeable, not absurd, addition.
  const double hot = static_power_w(p, 80.0, f);
  EXPECT_GT(hot, 1.2 * p.idle_w);
  EXPECT_LT(hot, 2.0 * p.idle_w);
  // Lower voltage at low clock leaks less.
  EXPECT_LT(static_power_w(p, 60.0, p.min_clock_mhz), static_power_w(p, 60.0, f));
}

TEST(SimPhysics, ClockFactorIsSuperQuadraticNearTheTop) {
  const CardPhysics p = a100();
  EXPECT_NEAR(clock_factor(p, p.max_clock_mhz), 1.0, 1e-12);
  const double f = 0.7 * p.max_clock_mhz;
  const double exponent = std::log(clock_factor(p, f)) / std::log(0.7);
  EXPECT_GT(exponent, 2.0);
  EXPECT_LT(exponent, 3.0);
  double previous = 0.0;
  for (double mhz = p.min_clock_mhz; mhz <= p.max_clock_mhz; mhz += 15.0) {
    const double g = clock_factor(p, mhz);
    EXPECT_GT(g, previous) << mhz;
    previous = g;
  }
}

TEST(SimPhysics, NoActivityMeansNoDynamicPower) {
  const CardPhysics p = a100();
  const DynamicDemand d = dynamic_demand(p, ActivityVector{}, 0.5, 0.5);
  EXPECT_EQ(d.compute_w, 0.0);
  EXPECT_EQ(d.memory_w, 0.0);
}

TEST(SimPhysics, DynamicPowerIsNonLinearAndScalesWithShares) {
  const CardPhysics p = a100();
  ActivityVector half = tensor_load();
  for (double& v : half) v *= 0.5;
  const DynamicDemand full = dynamic_demand(p, tensor_load(), 1.0, 1.0);
  const DynamicDemand halved = dynamic_demand(p, half, 1.0, 1.0);
  // Saturating terms: half the activity costs more than half the power.
  EXPECT_GT(halved.compute_w, 0.5 * full.compute_w);
  EXPECT_GT(halved.memory_w, 0.5 * full.memory_w);
  const DynamicDemand small = dynamic_demand(p, tensor_load(), 14.0 / 108.0, 1.0 / 8.0);
  EXPECT_NEAR(small.compute_w, full.compute_w * 14.0 / 108.0, 1e-9);
  EXPECT_NEAR(small.memory_w, full.memory_w / 8.0, 1e-9);
  // SM and DRAM interact: the sum of each alone is less than both together.
  ActivityVector sm_only{};
  at(sm_only, Activity::sm) = 0.8;
  ActivityVector dram_only{};
  at(dram_only, Activity::dram) = 0.8;
  ActivityVector both = sm_only;
  at(both, Activity::dram) = 0.8;
  const double separate =
      dynamic_demand(p, sm_only, 1, 1).compute_w + dynamic_demand(p, dram_only, 1, 1).compute_w;
  EXPECT_GT(dynamic_demand(p, both, 1, 1).compute_w, separate);
}

TEST(SimPhysics, FullTensorLoadExceedsTdpAndTypicalLoadDoesNot) {
  const CardPhysics p = a100();
  // All seven slices (98 of 108 SMs, all memory) under tensor GEMM, on a hot card.
  DynamicDemand full = dynamic_demand(p, tensor_load(), 98.0 / 108.0, 1.0);
  const double hot_full = card_power_w(p, 75.0, p.max_clock_mhz, full);
  EXPECT_GT(hot_full, p.tdp_w);
  EXPECT_LT(hot_full, 1.2 * p.tdp_w);
  // A memory-bound 1g.5gb adds only a few tens of watts.
  const ActivityVector memory_bound = {0.98, 0.40, 0.30, 0.0, 0.88, 0.0, 0.08, 0.0};
  const DynamicDemand one = dynamic_demand(p, memory_bound, 14.0 / 108.0, 1.0 / 8.0);
  EXPECT_GT(one.compute_w + one.memory_w, 10.0);
  EXPECT_LT(one.compute_w + one.memory_w, 40.0);
}

TEST(SimPhysics, ControllerPicksTheHighestClockUnderTheLimit) {
  const CardPhysics p = a100();
  const DynamicDemand full = dynamic_demand(p, tensor_load(), 98.0 / 108.0, 1.0);
  const double limit = 250.0;
  const double f = highest_clock_within(p, 60.0, full, limit);
  EXPECT_LT(f, p.max_clock_mhz);
  EXPECT_GT(f, p.min_clock_mhz);
  EXPECT_LE(card_power_w(p, 60.0, f, full), limit);
  EXPECT_GT(card_power_w(p, 60.0, f + p.clock_step_mhz, full), limit);
  EXPECT_EQ(std::fmod(f - p.min_clock_mhz, p.clock_step_mhz), 0.0);
  // Light load: max clock; impossible limit: min clock.
  EXPECT_EQ(highest_clock_within(p, 40.0, DynamicDemand{10.0, 5.0}, limit), p.max_clock_mhz);
  EXPECT_EQ(highest_clock_within(p, 40.0, full, 10.0), p.min_clock_mhz);
}

TEST(SimPhysics, ClockFollowsTargetWithLag) {
  const CardPhysics p = a100();
  double f = p.max_clock_mhz;
  f = clock_step(p, f, 900.0, 0.1);
  EXPECT_LT(f, p.max_clock_mhz);
  EXPECT_GT(f, 900.0);
  for (int i = 0; i < 100; ++i) f = clock_step(p, f, 900.0, 0.1);
  EXPECT_EQ(f, 900.0);
  // Recovery is slower than throttling.
  const double down = p.max_clock_mhz - clock_step(p, p.max_clock_mhz, 900.0, 0.1);
  const double up = clock_step(p, 900.0, p.max_clock_mhz, 0.1) - 900.0;
  EXPECT_GT(down, up);
}

TEST(SimPhysics, ThermalModelSettlesAtAmbientPlusResistanceTimesPower) {
  const CardPhysics p = a100();
  double t = 30.0;
  for (int i = 0; i < 2000; ++i) t = thermal_step(p, t, 300.0, 1.0);
  EXPECT_NEAR(t, p.ambient_c + p.thermal_resistance_c_per_w * 300.0, 1e-6);
  // After one time constant, 63 % of the way.
  const double one_tau = thermal_step(p, 30.0, 300.0, p.thermal_tau_s);
  EXPECT_NEAR((one_tau - 30.0) / (t - 30.0), 1.0 - std::exp(-1.0), 1e-9);
  const double idle = idle_temperature_c(p);
  EXPECT_NEAR(idle,
              p.ambient_c + p.thermal_resistance_c_per_w * static_power_w(p, idle, p.max_clock_mhz),
              1e-6);
}

}  // namespace
}  // namespace migpower
