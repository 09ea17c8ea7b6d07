#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "sim/physics_family.hpp"
#include "sim/simulator.hpp"
#include "trace/trace_writer.hpp"

namespace migpower::cli {
namespace {

struct SimulateOptions {
  SimulationOptions simulation;
  std::string out;
  bool list = false;
  bool list_physics = false;
  bool describe = false;
};

int list_scenarios() {
  for (const auto& scenario : simulator_scenarios()) {
    std::cout << scenario.name << "\t" << scenario.description << "\n";
  }
  return 0;
}

int list_physics() {
  for (const auto& family : physics_families()) {
    std::cout << family.name << "\t" << family.description << "\n";
  }
  return 0;
}

int simulate(const SimulateOptions& options) {
  if (options.list) return list_scenarios();
  if (options.list_physics) return list_physics();
  if (options.describe) {
    std::cout << describe_physics(
                     draw_physics(options.simulation.physics, options.simulation.physics_seed))
              << "\n";
    return 0;
  }
  Simulator simulator(options.simulation);
  Output output(options.out);
  TraceWriter writer(output.stream());
  Progress progress("simulate");
  Frame frame;
  while (simulator.next(frame)) {
    writer.write(frame);
    progress.tick();
  }
  writer.flush();
  output.close();
  return 0;
}

}  // namespace

void add_simulate_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<SimulateOptions>();
  CLI::App* command = app.add_subcommand(
      "simulate",
      "Generate a trace with per-instance ground truth (truth_power_w) from the simulator");
  command->add_option("--scenario", options->simulation.scenario, "Scenario to simulate")
      ->capture_default_str();
  command->add_option("--seed", options->simulation.seed, "Random seed (same seed, same trace)")
      ->capture_default_str();
  command->add_option("--duration", options->simulation.duration_s, "Simulated seconds")
      ->capture_default_str();
  command->add_option("--interval", options->simulation.interval_s, "Seconds between frames")
      ->capture_default_str();
  command
      ->add_option("--physics", options->simulation.physics,
                   "Physics family: nominal (docs/simulator.md), random (every unknown drawn from "
                   "--physics-seed) or a named one (--list-physics)")
      ->capture_default_str();
  command
      ->add_option("--physics-seed", options->simulation.physics_seed,
                   "Which random physics draw (--physics random)")
      ->capture_default_str();
  command->add_option("--out,-o", options->out, "Write the trace here (default: stdout)")
      ->type_name("FILE");
  command->add_flag("--list", options->list, "List the scenarios and exit");
  command->add_flag("--list-physics", options->list_physics, "List the physics families and exit");
  command->add_flag("--describe-physics", options->describe,
                    "Print the drawn physics (--physics, --physics-seed) and exit");
  command->callback([options, &action] { action = [options] { return simulate(*options); }; });
}

}  // namespace migpower::cli
