#pragma once

#include "core/catalog.hpp"
#include "sim/activity.hpp"

namespace migpower {

// The simulated card's electrical and thermal constants (docs/simulator.md lists every one).
// Dynamic coefficients are watts for the whole card at full activity and maximum clock.
struct CardPhysics {
  double tdp_w = 0.0;
  double idle_w = 0.0;  // static power at reference_temp_c and maximum clock
  double max_clock_mhz = 0.0;
  double min_clock_mhz = 0.0;
  double clock_step_mhz = 15.0;
  double mem_clock_mhz = 0.0;

  // Static power: a fixed part (board, HBM refresh, I/O) plus leakage that grows
  // exponentially with temperature and linearly with voltage.
  double reference_temp_c = 30.0;
  double leakage_fraction = 0.5;
  double leakage_per_c = 0.012;

  // Voltage, relative to its value at max clock: flat at the floor up to the knee (a fraction
  // of the clock range), then linear to 1.
  double voltage_floor = 0.68;
  double voltage_knee = 0.55;

  // Dynamic power terms (W, whole card, max clock).
  double gr_w = 0.0;         // front end and GPC clocks while any kernel runs
  double sm_w = 0.0;         // schedulers, register files, L1 of active SMs
  double occupancy_w = 0.0;  // resident warps
  double tensor_w = 0.0;
  double fp64_w = 0.0;
  double fp32_w = 0.0;
  double fp16_w = 0.0;
  double sm_dram_w = 0.0;  // L2 and crossbar traffic: needs both SMs and DRAM busy
  double dram_w = 0.0;     // HBM, on the memory clock: not scaled by the SM clock
  // Curvature of the saturating terms (0: linear).
  double sm_curve = 1.5;
  double tensor_curve = 0.6;
  double fp32_curve = 0.3;
  double dram_curve = 0.4;
  // Physics families (sim/physics_family.hpp) move these; the defaults are the nominal card.
  double tensor_dram_w = 0.0;      // a second cross term, Tensor pipes with DRAM, SM clock
  double activity_exponent = 1.0;  // SM, Tensor, FP32 and DRAM activity raised to this first
  double clock_exponent = 0.0;     // > 0: compute power follows (f / fmax)^this, not f·V(f)²
  double memory_sm_clock_fraction = 0.0;  // the part of HBM power that follows the SM clock

  // First-order thermal model.
  double ambient_c = 25.0;
  double thermal_resistance_c_per_w = 0.0;
  double thermal_tau_s = 40.0;

  // Power-limit controller: first-order lag towards its target clock.
  double throttle_tau_s = 0.2;  // clocks drop fast
  double recover_tau_s = 1.0;   // and come back slower
};

// Constants for a catalog model (A100, A30, H100, H200: one shape, scaled by TDP).
[[nodiscard]] CardPhysics card_physics(const GpuModel& model);

// x * (1 + c) / (1 + c * x): 0 at 0, 1 at 1, concave for c > 0 (diminishing power per unit of
// extra activity, as in measured GPU power curves).
[[nodiscard]] constexpr double saturate(double x, double curve) {
  return x * (1.0 + curve) / (1.0 + curve * x);
}

[[nodiscard]] double relative_voltage(const CardPhysics& p, double clock_mhz);

// Dynamic power relative to max clock: (f / fmax) * V(f)^2, about (f / fmax)^2.3 near the top
// ((f / fmax)^clock_exponent when a physics family sets one).
[[nodiscard]] double clock_factor(const CardPhysics& p, double clock_mhz);

[[nodiscard]] double static_power_w(const CardPhysics& p, double temperature_c, double clock_mhz);

// An instance's (or the card's) dynamic power demand at max clock, split by what the SM clock
// scales (compute) and what it does not (DRAM).
struct DynamicDemand {
  double compute_w = 0.0;
  double memory_w = 0.0;
};

// sm_share: the instance's SMs over the card's; memory_share: its memory slices over the card's.
[[nodiscard]] DynamicDemand dynamic_demand(const CardPhysics& p, const ActivityVector& a,
                                           double sm_share, double memory_share);

[[nodiscard]] inline double dynamic_power_w(const CardPhysics& p, DynamicDemand d,
                                            double clock_mhz) {
  return clock_factor(p, clock_mhz) * d.compute_w + d.memory_w;
}

[[nodiscard]] inline double card_power_w(const CardPhysics& p, double temperature_c,
                                         double clock_mhz, DynamicDemand total) {
  return static_power_w(p, temperature_c, clock_mhz) + dynamic_power_w(p, total, clock_mhz);
}

// The highest clock on the card's clock grid whose power stays within limit_w, or the minimum
// clock when none does.
[[nodiscard]] double highest_clock_within(const CardPhysics& p, double temperature_c,
                                          DynamicDemand total, double limit_w);

// Advances the die temperature by dt_s under power_w (exact for constant power over the step).
[[nodiscard]] double thermal_step(const CardPhysics& p, double temperature_c, double power_w,
                                  double dt_s);

// The temperature an idle card at max clock settles at (static power heats, heat leaks more).
[[nodiscard]] double idle_temperature_c(const CardPhysics& p);

// Moves the clock towards the target with the controller's lag.
[[nodiscard]] double clock_step(const CardPhysics& p, double clock_mhz, double target_mhz,
                                double dt_s);

}  // namespace migpower
