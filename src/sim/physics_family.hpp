#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sim/physics.hpp"

namespace migpower {

// What nobody can know about a real card, drawn or named (docs/simulator.md, "Physics
// families"): the clock response of compute power, memory power on the SM clock, the idle floor
// and its temperature coefficient, cross terms, activity exponents, the sensor's window and
// noise, a power cap, per-card spread. Every field's default is the nominal card, so a
// simulation without a family is the one docs/simulator.md describes, bit for bit.
struct PhysicsDraw {
  std::string family = "nominal";
  std::uint64_t seed = 0;

  // Card (applied to CardPhysics by apply_physics_draw).
  double clock_exponent = 0.0;  // 0: the nominal f·V(f)² response
  double voltage_floor = 0.68;
  double voltage_knee = 0.55;
  double memory_sm_clock_fraction = 0.0;
  double idle_scale = 1.0;     // idle floor against the catalog's
  double leakage_scale = 1.0;  // temperature coefficient of leakage against the nominal
  double leakage_fraction = 0.5;
  double sm_dram_scale = 1.0;
  double tensor_dram_fraction = 0.0;  // the Tensor·DRAM cross term, as a fraction of tensor_w
  double activity_exponent = 1.0;
  // Dynamic coefficients gr, sm, occupancy, tensor, fp64, fp32, fp16, sm·dram, dram.
  std::array<double, 9> term_scale = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  // Curvatures of the sm, tensor, fp32 and dram saturating terms.
  std::array<double, 4> curves = {1.5, 0.6, 0.3, 0.4};
  double card_scale = 1.0;  // every dynamic coefficient: this card against the model's average
  double thermal_scale = 1.0;

  // Power cap as a fraction of TDP, shared by every instance (the lower of it and the scenario's).
  std::optional<double> power_cap_fraction;

  // Sensor: 0 averages over the frame interval; otherwise a first-order (exponential) average
  // with this time constant, read at the frame's end. Noise: noise_w + noise_fraction · power.
  double sensor_window_s = 0.0;
  double sensor_noise_w = 1.0;
  double sensor_noise_fraction = 0.0;
};

struct PhysicsFamilyInfo {
  std::string_view name;
  std::string_view description;
};

// "nominal", "random", then the named one-axis families.
[[nodiscard]] std::span<const PhysicsFamilyInfo> physics_families();

// The draw of `family` (seed matters for "random" only). Throws InputError for an unknown
// family, listing the known ones.
[[nodiscard]] PhysicsDraw draw_physics(std::string_view family, std::uint64_t seed);

// Applies the card part of a draw to the nominal constants of a catalog model.
void apply_physics_draw(const PhysicsDraw& draw, CardPhysics& physics);

// One line for people: "random #1003: clock^2.41, memory 18 % on SM clock, idle x1.12, ...".
[[nodiscard]] std::string describe_physics(const PhysicsDraw& draw);

}  // namespace migpower
