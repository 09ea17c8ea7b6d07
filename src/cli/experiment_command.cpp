#include <algorithm>
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "attribution/attribution.hpp"
#include "cli/commands.hpp"
#include "cli/method_options.hpp"
#include "cli/output.hpp"
#include "cli/usage_error.hpp"
#include "eval/experiment.hpp"
#include "eval/paper_experiment.hpp"
#include "eval/robustness.hpp"
#include "model/model_kinds.hpp"

namespace migpower::cli {
namespace {

struct ExperimentOptions {
  std::string name;
  BaselineExperimentOptions baselines;
  std::vector<std::uint64_t> seeds;  // baselines: its seeds; paper: the test seeds
  PaperExperimentOptions paper;
  bool paper_options_given = false;
  RobustnessOptions robustness;
  bool duration_given = false;
  bool warmup_given = false;
  bool paper_only_options_given = false;  // paper_options_given but --warmup
  bool robustness_options_given = false;
  std::string idle_policy = "slices";
  std::string out;
};

int run_paper(ExperimentOptions& options, Output& output) {
  PaperExperimentOptions& paper = options.paper;
  if (!options.baselines.scenarios.empty()) paper.test_scenarios = options.baselines.scenarios;
  if (!options.seeds.empty()) paper.test_seeds = options.seeds;
  paper.test_duration_s = options.baselines.duration_s;
  paper.idle_policy = options.baselines.idle_policy;
  for (const auto& kind : paper.model_kinds) {
    const auto kinds = model_kinds();
    if (std::none_of(kinds.begin(), kinds.end(), [&](const auto& k) { return k.name == kind; })) {
      throw UsageError("unknown model kind '" + kind + "' in --models");
    }
  }
  if (!paper.train_traces.empty() && paper.test_traces.empty()) {
    throw UsageError("--train needs --test: the traces to score the trained models on");
  }
  if (paper.test_traces.empty()) {
    for (const auto seed : paper.test_seeds) {
      if (std::find(paper.train_seeds.begin(), paper.train_seeds.end(), seed) !=
          paper.train_seeds.end()) {
        throw UsageError("test seed " + std::to_string(seed) +
                         " is also a training seed; test on seeds the models have not seen");
      }
    }
  }
  print_paper_markdown(output.stream(), run_paper_experiment(paper));
  return 0;
}

int run_robustness(ExperimentOptions& options, Output& output) {
  RobustnessOptions& robustness = options.robustness;
  robustness.scenarios = options.baselines.scenarios;
  robustness.idle_policy = options.baselines.idle_policy;
  if (options.duration_given) robustness.duration_s = options.baselines.duration_s;
  if (options.paper_only_options_given) {
    throw UsageError(
        "--train, --test, --train-seed, --train-duration, --models and --model-dir "
        "apply to the paper experiment only");
  }
  if (!options.seeds.empty()) {
    throw UsageError("robustness: the draws are the seeds; use --first-draw and --draws");
  }
  if (robustness.draws == 0) throw UsageError("--draws must be at least 1");
  print_robustness_markdown(output.stream(), robustness, run_robustness_experiment(robustness));
  return 0;
}

int experiment(ExperimentOptions options) {
  if (options.name != "baselines" && options.name != "paper" && options.name != "robustness") {
    throw UsageError("unknown experiment '" + options.name +
                     "'; available: baselines, paper, robustness");
  }
  if (options.name != "robustness" && options.robustness_options_given) {
    throw UsageError(
        "--draws, --first-draw, --physics and --method apply to the robustness "
        "experiment only");
  }
  if (options.name == "baselines" && options.paper_options_given) {
    throw UsageError(
        "--train, --test, --train-seed, --train-duration, --models, --model-dir "
        "and --warmup apply to the paper experiment only");
  }
  options.baselines.idle_policy = idle_policy_flag(options.idle_policy);
  Output output(options.out);
  if (options.name == "paper") {
    run_paper(options, output);
  } else if (options.name == "robustness") {
    if (options.warmup_given) options.robustness.warmup_s = options.paper.warmup_s;
    run_robustness(options, output);
  } else {
    if (!options.seeds.empty()) options.baselines.seeds = options.seeds;
    print_experiment_markdown(output.stream(), run_baseline_experiment(options.baselines));
  }
  output.close();
  return 0;
}

}  // namespace

void add_experiment_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<ExperimentOptions>();
  CLI::App* command = app.add_subcommand(
      "experiment",
      "Run a reproducible evaluation and print it as a Markdown table (baselines: every "
      "baseline method on every simulator scenario; paper: the evaluation of arXiv 2501.17752, "
      "offline models trained on whole-card runs vs the online methods, isolated vs concurrent, "
      "before vs after scaling; robustness: every method on every scenario across draws of the "
      "simulator's physics, as distributions)");
  command->add_option("NAME", options->name, "Experiment to run: baselines, paper or robustness")
      ->required();
  command
      ->add_option("--scenario", options->baselines.scenarios,
                   "Scenarios (baselines, default: all) or test scenarios (paper, default: "
                   "whole-card runs, single, then the concurrent MIG scenarios)")
      ->type_name("NAME ...");
  command->add_option("--seed", options->seeds,
                      "Seeds, one row each (baselines, default 1); test seeds (paper, default 3, "
                      "averaged)");
  command
      ->add_option("--duration", options->baselines.duration_s,
                   "Simulated seconds per run (paper: per test run)")
      ->capture_default_str();
  CLI::Option* train = command
                           ->add_option("--train", options->paper.train_traces,
                                        "paper: train the offline models on these traces "
                                        "(full-GPU or isolated-instance runs) instead of the "
                                        "simulator")
                           ->type_name("FILE ...");
  CLI::Option* test = command
                          ->add_option("--test", options->paper.test_traces,
                                       "paper: score every method on these traces (with "
                                       "truth_power_w) instead of the simulator")
                          ->type_name("FILE ...");
  CLI::Option* train_seed =
      command->add_option("--train-seed", options->paper.train_seeds, "paper: training seeds")
          ->capture_default_str();
  CLI::Option* train_duration =
      command
          ->add_option("--train-duration", options->paper.train_duration_s,
                       "paper: simulated seconds per training run")
          ->capture_default_str();
  CLI::Option* models =
      command
          ->add_option("--models", options->paper.model_kinds,
                       "paper: offline model kinds to train (default: linear ridge poly2 gbt)")
          ->type_name("KIND ...");
  CLI::Option* model_dir =
      command
          ->add_option("--model-dir", options->paper.model_dir,
                       "paper: keep the trained model files here (default: a temporary "
                       "directory, removed)")
          ->type_name("DIR");
  CLI::Option* warmup = command
                            ->add_option("--warmup", options->paper.warmup_s,
                                         "paper and robustness: seconds attributed but not "
                                         "scored at the start of each run, so online methods "
                                         "have learned")
                            ->capture_default_str()
                            ->check(CLI::NonNegativeNumber);
  CLI::Option* draws = command
                           ->add_option("--draws", options->robustness.draws,
                                        "robustness: physics draws per scenario")
                           ->capture_default_str();
  CLI::Option* first_draw =
      command
          ->add_option("--first-draw", options->robustness.first_draw,
                       "robustness: the first draw (physics and workload seed); 1001 and up are "
                       "held out, lower ones are for choosing constants")
          ->capture_default_str();
  CLI::Option* physics =
      command
          ->add_option("--physics", options->robustness.physics,
                       "robustness: physics family drawn (random, or a named one)")
          ->capture_default_str();
  CLI::Option* method =
      command
          ->add_option("--method", options->robustness.methods,
                       "robustness: methods (default: online equal slices utilization)")
          ->type_name("NAME ...");
  CLI::Option* duration = command->get_option("--duration");
  command->add_option("--idle-policy", options->idle_policy, "slices, active or none")
      ->capture_default_str();
  command->add_option("--out,-o", options->out, "Write here instead of stdout")->type_name("FILE");
  command->callback([=, &action] {
    const std::size_t paper_only = train->count() + test->count() + train_seed->count() +
                                   train_duration->count() + models->count() + model_dir->count();
    options->paper_options_given = paper_only + warmup->count() > 0;
    options->paper_only_options_given = paper_only > 0;
    options->robustness_options_given =
        draws->count() + first_draw->count() + physics->count() + method->count() > 0;
    options->duration_given = duration->count() > 0;
    options->warmup_given = warmup->count() > 0;
    action = [options] { return experiment(*options); };
  });
}

}  // namespace migpower::cli
