#include "sim/physics_family.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "core/error.hpp"
#include "sim/random.hpp"

namespace migpower {
namespace {

constexpr std::array kFamilies = {
    PhysicsFamilyInfo{"nominal", "the card docs/simulator.md describes (the default)"},
    PhysicsFamilyInfo{"random", "every axis below drawn at once from --physics-seed"},
    PhysicsFamilyInfo{"clock-square", "compute power follows (f/fmax)^2"},
    PhysicsFamilyInfo{"clock-cubic", "compute power follows (f/fmax)^3"},
    PhysicsFamilyInfo{"memory-on-sm-clock", "40 % of HBM power follows the SM clock"},
    PhysicsFamilyInfo{"idle-high", "idle floor and leakage temperature coefficient +20 %"},
    PhysicsFamilyInfo{"idle-low", "idle floor and leakage temperature coefficient -20 %"},
    PhysicsFamilyInfo{"cross-terms", "SM x DRAM cross term doubled, a Tensor x DRAM one added"},
    PhysicsFamilyInfo{"convex", "activity^1.3 and convex curves: power grows faster than activity"},
    PhysicsFamilyInfo{"concave", "activity^0.8 and strongly saturating curves"},
    PhysicsFamilyInfo{"slow-sensor", "the sensor averages exponentially over 2 s"},
    PhysicsFamilyInfo{"instant-sensor", "the sensor reads (nearly) instantaneous power"},
    PhysicsFamilyInfo{"noisy-sensor", "sensor noise 3 W + 0.5 % of the reading"},
    PhysicsFamilyInfo{"power-cap", "a power cap at 70 % of TDP shared by every instance"},
    PhysicsFamilyInfo{"card-spread", "this card draws 3.5 % more dynamic power than the average"},
};

// Every axis at once. The order of the draws is part of the format: changing it changes every
// random card.
PhysicsDraw random_draw(std::uint64_t seed) {
  SimRng rng(mix_seed(seed, 0x7068797369637321ULL));
  PhysicsDraw d;
  d.family = "random";
  d.seed = seed;
  if (rng.uniform() < 0.75) {
    d.clock_exponent = rng.uniform(2.0, 3.0);
  } else {
    d.voltage_floor = rng.uniform(0.6, 0.8);
    d.voltage_knee = rng.uniform(0.4, 0.65);
  }
  d.memory_sm_clock_fraction = rng.uniform(0.0, 0.5);
  d.idle_scale = rng.uniform(0.8, 1.2);
  d.leakage_scale = rng.uniform(0.8, 1.2);
  d.leakage_fraction = rng.uniform(0.35, 0.65);
  d.sm_dram_scale = rng.uniform(0.0, 2.0);
  d.tensor_dram_fraction = rng.uniform(0.0, 0.15);
  d.activity_exponent = rng.uniform(0.8, 1.3);
  for (double& scale : d.term_scale) scale = rng.uniform(0.75, 1.25);
  d.curves = {rng.uniform(0.0, 3.0), rng.uniform(-0.3, 1.5), rng.uniform(-0.3, 1.0),
              rng.uniform(-0.3, 1.5)};
  d.card_scale = std::clamp(1.0 + 0.03 * rng.normal(), 0.92, 1.08);
  d.thermal_scale = rng.uniform(0.8, 1.25);
  if (rng.uniform() < 0.3) d.power_cap_fraction = rng.uniform(0.6, 0.85);
  if (rng.uniform() >= 0.4) d.sensor_window_s = rng.uniform(0.05, 2.0);
  d.sensor_noise_w = rng.uniform(0.3, 3.0);
  d.sensor_noise_fraction = rng.uniform(0.0, 0.005);
  return d;
}

std::string family_names() {
  std::string names;
  for (const auto& info : kFamilies) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

}  // namespace

std::span<const PhysicsFamilyInfo> physics_families() { return kFamilies; }

PhysicsDraw draw_physics(std::string_view family, std::uint64_t seed) {
  if (family == "random") return random_draw(seed);
  PhysicsDraw d;
  d.family = std::string(family);
  if (family == "nominal") return d;
  if (family == "clock-square") {
    d.clock_exponent = 2.0;
  } else if (family == "clock-cubic") {
    d.clock_exponent = 3.0;
  } else if (family == "memory-on-sm-clock") {
    d.memory_sm_clock_fraction = 0.4;
  } else if (family == "idle-high" || family == "idle-low") {
    const double scale = family == "idle-high" ? 1.2 : 0.8;
    d.idle_scale = scale;
    d.leakage_scale = scale;
  } else if (family == "cross-terms") {
    d.sm_dram_scale = 2.0;
    d.tensor_dram_fraction = 0.15;
  } else if (family == "convex") {
    d.activity_exponent = 1.3;
    d.curves = {-0.3, -0.3, -0.3, -0.3};
  } else if (family == "concave") {
    d.activity_exponent = 0.8;
    d.curves = {2.5, 2.5, 2.5, 2.5};
  } else if (family == "slow-sensor") {
    d.sensor_window_s = 2.0;
  } else if (family == "instant-sensor") {
    d.sensor_window_s = 0.05;
  } else if (family == "noisy-sensor") {
    d.sensor_noise_w = 3.0;
    d.sensor_noise_fraction = 0.005;
  } else if (family == "power-cap") {
    d.power_cap_fraction = 0.7;
  } else if (family == "card-spread") {
    d.card_scale = 578.0 / 559.0;  // the same sgemm on two H200s
  } else {
    throw InputError("unknown physics family '" + std::string(family) +
                     "'; known: " + family_names());
  }
  return d;
}

void apply_physics_draw(const PhysicsDraw& d, CardPhysics& p) {
  p.clock_exponent = d.clock_exponent;
  p.voltage_floor = d.voltage_floor;
  p.voltage_knee = d.voltage_knee;
  p.memory_sm_clock_fraction = d.memory_sm_clock_fraction;
  p.idle_w *= d.idle_scale;
  p.leakage_per_c *= d.leakage_scale;
  p.leakage_fraction = d.leakage_fraction;
  p.tensor_dram_w = d.tensor_dram_fraction * p.tensor_w;  // before tensor_w's own scale
  std::array<double*, 9> terms = {&p.gr_w,   &p.sm_w,   &p.occupancy_w, &p.tensor_w, &p.fp64_w,
                                  &p.fp32_w, &p.fp16_w, &p.sm_dram_w,   &p.dram_w};
  for (std::size_t k = 0; k < terms.size(); ++k) *terms[k] *= d.term_scale[k] * d.card_scale;
  p.sm_dram_w *= d.sm_dram_scale;
  p.tensor_dram_w *= d.card_scale;
  p.activity_exponent = d.activity_exponent;
  p.sm_curve = d.curves[0];
  p.tensor_curve = d.curves[1];
  p.fp32_curve = d.curves[2];
  p.dram_curve = d.curves[3];
  p.thermal_resistance_c_per_w *= d.thermal_scale;
}

std::string describe_physics(const PhysicsDraw& d) {
  char buf[512];
  std::string text = d.family;
  if (d.family == "random") text += " #" + std::to_string(d.seed);
  if (d.clock_exponent > 0.0) {
    std::snprintf(buf, sizeof buf, ": clock^%.2f", d.clock_exponent);
  } else {
    std::snprintf(buf, sizeof buf, ": f*V^2 (floor %.2f, knee %.2f)", d.voltage_floor,
                  d.voltage_knee);
  }
  text += buf;
  std::snprintf(buf, sizeof buf,
                ", HBM %.0f %% on SM clock, idle x%.2f, leakage/C x%.2f, SMxDRAM x%.2f, "
                "TensorxDRAM %.0f %%, activity^%.2f, card x%.3f",
                100.0 * d.memory_sm_clock_fraction, d.idle_scale, d.leakage_scale, d.sm_dram_scale,
                100.0 * d.tensor_dram_fraction, d.activity_exponent, d.card_scale);
  text += buf;
  if (d.power_cap_fraction) {
    std::snprintf(buf, sizeof buf, ", cap %.0f %% TDP", 100.0 * *d.power_cap_fraction);
    text += buf;
  }
  if (d.sensor_window_s > 0.0) {
    std::snprintf(buf, sizeof buf, ", sensor tau %.2f s", d.sensor_window_s);
    text += buf;
  } else {
    text += ", sensor frame mean";
  }
  std::snprintf(buf, sizeof buf, ", noise %.2f W + %.2f %%", d.sensor_noise_w,
                100.0 * d.sensor_noise_fraction);
  return text + buf;
}

}  // namespace migpower
