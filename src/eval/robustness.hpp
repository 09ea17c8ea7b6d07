#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "attribution/attribution.hpp"
#include "attribution/attributor.hpp"

namespace migpower {

// `migpower experiment robustness` (docs/evaluation.md, "Robustness across physics"): every
// method on every scenario across draws of the simulator's physics, as distributions.
struct RobustnessOptions {
  std::vector<std::string> scenarios;  // empty: single, seven-1g, mixed, capped, h100-mix
  std::vector<std::string> methods;    // empty: online, equal, slices, utilization
  std::string physics = "random";      // the family drawn (sim/physics_family.hpp)
  // Draws first_draw, first_draw + 1, ...: each draw's number is both its physics seed and its
  // workload seed. The default range is the held-out one: 1-1000 are for choosing things.
  std::uint64_t first_draw = 1001;
  std::size_t draws = 50;
  double duration_s = 900.0;
  double warmup_s = 120.0;
  IdlePolicy idle_policy = IdlePolicy::slices;
};

// One method on one scenario under one physics draw.
struct RobustnessRun {
  std::string scenario;
  std::string method;
  std::uint64_t draw = 0;
  double worst_mape_pct = 0.0;             // the instance with the highest MAPE
  double worst_energy_error_pct = 0.0;     // signed, the instance with the largest |error|
  double aggregate_error_pct = 0.0;        // after scaling: 0 to rounding for every method
  std::optional<double> coverage_1sd_pct;  // every instance and frame, methods with an sd
  std::optional<double> coverage_2sd_pct;
};

// A method an experiment can run: its label and how to make a fresh attributor for one trace
// (so variants of a method can be compared without registering them).
struct RobustnessMethod {
  std::string label;
  std::function<Attributor()> make;
};

// Methods by name, as `--method` takes them (utilization on GR_ENGINE_ACTIVE).
[[nodiscard]] std::vector<RobustnessMethod> robustness_methods(
    const std::vector<std::string>& names, IdlePolicy idle_policy);

// Simulates each scenario under each draw once and scores every method on it. `methods` empty:
// robustness_methods(options.methods).
[[nodiscard]] std::vector<RobustnessRun> run_robustness_experiment(
    const RobustnessOptions& options, const std::vector<RobustnessMethod>& methods = {});

// Distribution of one figure over draws.
struct Distribution {
  double median = 0.0;
  double p90 = 0.0;    // nearest rank
  double worst = 0.0;  // the largest
  double best = 0.0;   // the smallest
};
[[nodiscard]] Distribution distribution(std::vector<double> values);

// One Markdown row per scenario and method: median / p90 / worst of the worst-instance MAPE and
// of |energy error|, the share of draws meeting the targets (MAPE <= 3 %, |energy| <= 2 %),
// coverage at 1 and 2 sd (median and range), the largest aggregate error. Then one row per
// method over every scenario.
void print_robustness_markdown(std::ostream& out, const RobustnessOptions& options,
                               const std::vector<RobustnessRun>& runs);

}  // namespace migpower
