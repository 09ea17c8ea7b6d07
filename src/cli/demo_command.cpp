#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "eval/evaluation.hpp"
#include "export/energy_report.hpp"
#include "ledger/energy_ledger.hpp"
#include "sim/simulator.hpp"

namespace migpower::cli {
namespace {

// The embedded default job: simulate the mixed A100 scenario, attribute it with the default
// method, print the energy table and how far that method is from the simulator's truth.
int demo() {
  const SimulationOptions simulation;  // the "mixed" scenario, seed 1, 10 minutes
  const MethodChoice options;
  const std::string source = "simulated scenario " + simulation.scenario + " (seed " +
                             std::to_string(simulation.seed) + ", " +
                             std::to_string(static_cast<int>(simulation.duration_s)) + " s)";
  Simulator simulator(simulation);
  EnergyLedger ledger;
  // Scored after the same 2-minute warm-up as `evaluate`, so the online model is judged once it
  // has learned; the energy table still covers every frame.
  const EvaluationReport report =
      evaluate(simulator, options, source, &ledger, EvaluationSettings{120.0});
  print_energy_table(std::cout, ledger,
                     {source, report.method, std::string(to_string(options.idle_policy))});
  std::cout << "\nAgainst the simulator's ground truth:\n";
  print_evaluation_table(std::cout, report);
  std::cout << "\nNext: `migpower evaluate --scenario mixed --compare`, "
               "`migpower simulate --list`, `migpower attribute --help`.\n";
  return 0;
}

}  // namespace

void add_demo_command(CLI::App& app, Action& action) {
  CLI::App* command = app.add_subcommand(
      "demo", "Simulate a mixed A100 (3g+2g+1g+1g) for 10 minutes and print who used what");
  command->callback([&action] { action = [] { return demo(); }; });
}

}  // namespace migpower::cli
