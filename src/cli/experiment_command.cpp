#include <iostream>
#include <memory>

#include "attribution/attribution.hpp"
#include "cli/commands.hpp"
#include "cli/method_options.hpp"
#include "cli/output.hpp"
#include "cli/usage_error.hpp"
#include "eval/experiment.hpp"

namespace migpower::cli {
namespace {

struct ExperimentOptions {
  std::string name;
  BaselineExperimentOptions baselines;
  std::string idle_policy = "slices";
  std::string out;
};

int experiment(ExperimentOptions options) {
  if (options.name != "baselines") {
    throw UsageError("unknown experiment '" + options.name + "'; available: baselines");
  }
  options.baselines.idle_policy = idle_policy_flag(options.idle_policy);
  Output output(options.out);
  print_experiment_markdown(output.stream(), run_baseline_experiment(options.baselines));
  output.close();
  return 0;
}

}  // namespace

void add_experiment_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<ExperimentOptions>();
  CLI::App* command = app.add_subcommand(
      "experiment",
      "Run a reproducible evaluation and print it as a Markdown table (baselines: every "
      "baseline method on every simulator scenario)");
  command->add_option("NAME", options->name, "Experiment to run: baselines")->required();
  command->add_option("--scenario", options->baselines.scenarios, "Scenarios (default: all)")
      ->type_name("NAME ...");
  command->add_option("--seed", options->baselines.seeds, "Seeds, one row each")
      ->capture_default_str();
  command->add_option("--duration", options->baselines.duration_s, "Simulated seconds per run")
      ->capture_default_str();
  command->add_option("--idle-policy", options->idle_policy, "slices, active or none")
      ->capture_default_str();
  command->add_option("--out,-o", options->out, "Write here instead of stdout")->type_name("FILE");
  command->callback([options, &action] { action = [options] { return experiment(*options); }; });
}

}  // namespace migpower::cli
