#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/workload.hpp"

namespace migpower {

// One MIG instance of a scenario and what runs in it.
struct SimInstanceSpec {
  std::string profile;
  WorkloadKind workload = WorkloadKind::idle;
};

// A named simulated card: its model (as NVML names it), power limit and instances.
struct ScenarioSpec {
  std::string name;
  std::string description;
  std::string gpu_model;                // NVML name, resolvable by find_gpu_model
  std::optional<double> power_limit_w;  // the model's TDP when unset
  std::vector<SimInstanceSpec> instances;
};

[[nodiscard]] std::span<const ScenarioSpec> scenario_specs();

// nullptr when unknown.
[[nodiscard]] const ScenarioSpec* find_scenario(std::string_view name);

// The GPU instance id NVML gives an instance of `compute_slices` placed at `start` on a
// seven-slice card (A100/H100 numbering: 7g 0, 4g 1, 3g 1-2, 2g 3-5, 1g 7-13).
[[nodiscard]] int nvml_instance_id(int compute_slices, int start);

}  // namespace migpower
