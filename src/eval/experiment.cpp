#include "eval/experiment.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <ostream>

#include "sim/simulator.hpp"

namespace migpower {

std::vector<ExperimentRow> run_baseline_experiment(const BaselineExperimentOptions& options) {
  std::vector<std::string> scenarios = options.scenarios;
  if (scenarios.empty()) {
    for (const auto& info : simulator_scenarios()) scenarios.push_back(info.name);
  }
  std::vector<ExperimentRow> rows;
  for (const auto& scenario : scenarios) {
    for (const std::uint64_t seed : options.seeds) {
      for (const char* method : {"equal", "slices", "utilization"}) {
        SimulationOptions simulation;
        simulation.scenario = scenario;
        simulation.seed = seed;
        simulation.duration_s = options.duration_s;
        Simulator simulator(simulation);
        MethodChoice attribution;
        attribution.method = method;
        attribution.idle_policy = options.idle_policy;
        rows.push_back({scenario, seed,
                        evaluate(simulator, attribution,
                                 "scenario " + scenario + " (seed " + std::to_string(seed) + ")")});
      }
    }
  }
  return rows;
}

void print_experiment_markdown(std::ostream& out, const std::vector<ExperimentRow>& rows) {
  fmt::print(out,
             "| scenario | seed | method | WAPE % | mean MAPE % | worst MAPE % | worst energy "
             "error % | aggregate error % |\n");
  fmt::print(out, "|---|---|---|---|---|---|---|---|\n");
  for (const auto& row : rows) {
    double mape_sum = 0.0;
    double worst_mape = 0.0;
    double worst_energy = 0.0;
    for (const auto& e : row.report.instances) {
      mape_sum += e.mape_pct;
      worst_mape = std::max(worst_mape, e.mape_pct);
      if (std::abs(e.energy_error_pct) > std::abs(worst_energy)) worst_energy = e.energy_error_pct;
    }
    const double mean_mape = row.report.instances.empty()
                                 ? 0.0
                                 : mape_sum / static_cast<double>(row.report.instances.size());
    fmt::print(out, "| {} | {} | {} | {:.2f} | {:.2f} | {:.2f} | {:+.2f} | {:.4f} |\n",
               row.scenario, row.seed, row.report.method, row.report.wape_pct, mean_mape,
               worst_mape, worst_energy, row.report.aggregate_error_pct);
  }
}

}  // namespace migpower
