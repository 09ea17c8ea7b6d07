#include "sim/physics.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace migpower {
namespace {

// Memory clocks as NVML reports them (MHz); the simulator's only per-model table.
double memory_clock_mhz(std::string_view key) {
  if (key == "A100-80GB") return 1593.0;
  if (key == "H100-80GB") return 2619.0;
  if (key == "H200-141GB") return 3201.0;
  return 1215.0;  // A100-40GB, A30
}

}  // namespace

CardPhysics card_physics(const GpuModel& model) {
  CardPhysics p;
  p.tdp_w = model.tdp_w;
  p.idle_w = model.idle_w;
  p.max_clock_mhz = model.max_sm_clock_mhz;
  p.min_clock_mhz = model.min_sm_clock_mhz;
  p.mem_clock_mhz = memory_clock_mhz(model.key);
  // Coefficients are set for the A100-40GB (TDP 400 W, idle 55 W) and scaled by the dynamic
  // range of other cards: a full card at full tensor load then lands a few percent above TDP.
  const double scale = (model.tdp_w - model.idle_w) / (400.0 - 55.0);
  p.gr_w = 18.0 * scale;
  p.sm_w = 110.0 * scale;
  p.occupancy_w = 10.0 * scale;
  p.tensor_w = 185.0 * scale;
  p.fp64_w = 120.0 * scale;
  p.fp32_w = 85.0 * scale;
  p.fp16_w = 50.0 * scale;
  p.sm_dram_w = 45.0 * scale;
  p.dram_w = 85.0 * scale;
  // A card at TDP settles 50 C above ambient.
  p.thermal_resistance_c_per_w = 50.0 / model.tdp_w;
  return p;
}

double relative_voltage(const CardPhysics& p, double clock_mhz) {
  const double range = p.max_clock_mhz - p.min_clock_mhz;
  const double x = std::clamp((clock_mhz - p.min_clock_mhz) / range, 0.0, 1.0);
  if (x <= p.voltage_knee) return p.voltage_floor;
  return p.voltage_floor + (1.0 - p.voltage_floor) * (x - p.voltage_knee) / (1.0 - p.voltage_knee);
}

double clock_factor(const CardPhysics& p, double clock_mhz) {
  if (p.clock_exponent > 0.0) return std::pow(clock_mhz / p.max_clock_mhz, p.clock_exponent);
  const double v = relative_voltage(p, clock_mhz);
  return clock_mhz / p.max_clock_mhz * v * v;
}

double static_power_w(const CardPhysics& p, double temperature_c, double clock_mhz) {
  const double leakage = p.leakage_fraction *
                         std::exp(p.leakage_per_c * (temperature_c - p.reference_temp_c)) *
                         relative_voltage(p, clock_mhz);
  return p.idle_w * ((1.0 - p.leakage_fraction) + leakage);
}

DynamicDemand dynamic_demand(const CardPhysics& p, const ActivityVector& a, double sm_share,
                             double memory_share) {
  // A physics family may bend the activity response (x^e); the nominal card is linear in it.
  const auto bend = [&](double x) {
    return p.activity_exponent == 1.0 ? x : std::pow(x, p.activity_exponent);
  };
  const double sm = at(a, Activity::sm);
  const double dram = at(a, Activity::dram);
  double compute = p.gr_w * at(a, Activity::gr_engine) + p.sm_w * saturate(bend(sm), p.sm_curve) +
                   p.occupancy_w * at(a, Activity::sm_occupancy) +
                   p.tensor_w * saturate(bend(at(a, Activity::tensor)), p.tensor_curve) +
                   p.fp64_w * at(a, Activity::fp64) +
                   p.fp32_w * saturate(bend(at(a, Activity::fp32)), p.fp32_curve) +
                   p.fp16_w * at(a, Activity::fp16) + p.sm_dram_w * sm * dram;
  double memory = memory_share * p.dram_w * saturate(bend(dram), p.dram_curve);
  if (p.tensor_dram_w != 0.0) compute += p.tensor_dram_w * at(a, Activity::tensor) * dram;
  compute *= sm_share;
  if (p.memory_sm_clock_fraction != 0.0) {
    // Part of the memory system (controllers, PHY) on the SM clock's domain.
    compute += p.memory_sm_clock_fraction * memory;
    memory *= 1.0 - p.memory_sm_clock_fraction;
  }
  return {compute, memory};
}

double highest_clock_within(const CardPhysics& p, double temperature_c, DynamicDemand total,
                            double limit_w) {
  if (card_power_w(p, temperature_c, p.max_clock_mhz, total) <= limit_w) return p.max_clock_mhz;
  // Power rises monotonically with clock: bisect over the clock grid's steps.
  const auto steps =
      static_cast<int>(std::floor((p.max_clock_mhz - p.min_clock_mhz) / p.clock_step_mhz));
  int lo = 0;  // step known to fit (or the minimum, taken anyway)
  int hi = steps;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    const double f = p.min_clock_mhz + mid * p.clock_step_mhz;
    if (card_power_w(p, temperature_c, f, total) <= limit_w) {
      lo = mid;
    } else {
      hi = mid;
    }
  }
  return p.min_clock_mhz + lo * p.clock_step_mhz;
}

double thermal_step(const CardPhysics& p, double temperature_c, double power_w, double dt_s) {
  const double settled = p.ambient_c + p.thermal_resistance_c_per_w * power_w;
  return settled + (temperature_c - settled) * std::exp(-dt_s / p.thermal_tau_s);
}

double idle_temperature_c(const CardPhysics& p) {
  double t = p.reference_temp_c;
  // A contraction: leakage's slope times the thermal resistance is far below 1.
  for (int i = 0; i < 50; ++i) {
    t = p.ambient_c + p.thermal_resistance_c_per_w * static_power_w(p, t, p.max_clock_mhz);
  }
  return t;
}

double clock_step(const CardPhysics& p, double clock_mhz, double target_mhz, double dt_s) {
  const double tau = target_mhz < clock_mhz ? p.throttle_tau_s : p.recover_tau_s;
  const double next = target_mhz + (clock_mhz - target_mhz) * std::exp(-dt_s / tau);
  return std::abs(next - target_mhz) < 0.5 ? target_mhz : next;
}

}  // namespace migpower
