#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/usage_error.hpp"
#include "core/error.hpp"
#include "model/model_file.hpp"
#include "model/model_kinds.hpp"
#include "model/train.hpp"
#include "model/training_data.hpp"
#include "sources/interval_power.hpp"
#include "trace/trace_reader.hpp"

namespace migpower::cli {
namespace {

struct TrainOptions {
  std::vector<std::string> traces;
  std::string kind;
  std::string out;
  std::optional<double> lambda;
  std::string hyperparameters;
  double validation = 0.2;
  double active_threshold = TrainingDataOptions{}.active_threshold;
  bool lenient = false;
  bool power_from_counter = false;
};

std::string kind_names() {
  std::string names;
  for (const auto& info : model_kinds()) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

// The flags' hyperparameters as one JSON object: --hyperparameters, then --lambda over it.
nlohmann::json hyperparameters_from_flags(const TrainOptions& options) {
  nlohmann::json object = nlohmann::json::object();
  if (!options.hyperparameters.empty()) {
    try {
      object = nlohmann::json::parse(options.hyperparameters);
    } catch (const nlohmann::json::exception& e) {
      throw UsageError("--hyperparameters is not JSON: " + std::string(e.what()));
    }
    if (!object.is_object()) throw UsageError("--hyperparameters must be a JSON object");
  }
  if (options.lambda) {
    if (options.kind != "ridge" && options.kind != "poly2") {
      throw UsageError("--lambda applies to ridge and poly2, not " + options.kind);
    }
    object["lambda"] = *options.lambda;
  }
  return object;
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text.empty() ? "(none labelled)" : text;
}

std::string error_line(const FitError& error) {
  char line[96];
  std::snprintf(line, sizeof line, "%zu rows  MAPE %.2f %%  RMSE %.2f W", error.rows,
                error.mape_pct, error.rmse_w);
  return line;
}

void print_summary(std::ostream& out, const ModelFile& file, const std::string& path,
                   double validation) {
  const TrainingSummary& t = file.training;
  out << "trained " << file.model->kind() << " for " << t.gpu_model << ": " << path << "\n";
  out << "  traces          " << t.sources.size() << " (" << t.frames << " frames)\n";
  out << "  rows used       " << t.rows << " (frames where one instance runs alone)\n";
  out << "  frames skipped  " << t.frames_concurrent << " concurrent, " << t.frames_idle
      << " idle with several instances, " << t.frames_without_power << " without power\n";
  out << "  static power    " << t.static_power << "\n";
  out << "  workloads       " << joined(t.workloads) << "\n";
  out << "  training        " << error_line(file.training_error) << "\n";
  if (file.validation_error) {
    out << "  validation      " << error_line(*file.validation_error) << "  (held-out time blocks, "
        << std::lround(validation * 100.0) << " %)\n";
  } else {
    out << "  validation      none (--validation 0)\n";
  }
}

int train(const TrainOptions& options) {
  bool known = false;
  for (const auto& info : model_kinds()) known = known || info.name == options.kind;
  if (!known) {
    throw UsageError("unknown model kind '" + options.kind + "'; one of: " + kind_names());
  }
  if (!(options.validation >= 0.0 && options.validation <= 0.5)) {
    throw UsageError("--validation must be a fraction from 0 to 0.5");
  }
  std::unique_ptr<PowerModel> model;
  try {
    model = make_power_model(options.kind, hyperparameters_from_flags(options));
  } catch (const InputError& e) {
    throw UsageError(e.what());  // the flags' fault, not a file's
  }

  TrainingDataBuilder builder(TrainingDataOptions{options.active_threshold});
  {
    Progress progress("train: reading");
    for (const auto& path : options.traces) {
      TraceReader reader(path, TraceReaderOptions{options.lenient});
      IntervalPowerSource from_counter(reader);
      FrameSource* frames = &reader;
      if (options.power_from_counter) frames = &from_counter;
      builder.add(*frames, path, [&progress] { progress.tick(); });
      if (reader.rows_skipped() > 0) {
        std::cerr << "migpower: warning: skipped " << reader.rows_skipped() << " of "
                  << reader.rows_read() << " rows of " << path << " (--lenient)\n";
        for (const auto& example : reader.skip_examples()) std::cerr << "  " << example << "\n";
      }
    }
  }
  TrainingData data = builder.finish();
  const TrainingSummary& s = data.summary;
  if (s.rows == 0) {
    throw InputError("no usable frames in " + std::to_string(s.frames) + " (" +
                     std::to_string(s.frames_concurrent) + " with several instances active, " +
                     std::to_string(s.frames_idle) + " idle, " +
                     std::to_string(s.frames_without_power) +
                     " without power): training needs frames where one instance runs alone, "
                     "from full-GPU or isolated-instance traces");
  }

  const TrainingSet set = split_training_set(std::move(data), options.validation);
  if (isatty(fileno(stderr)) != 0 && set.x_train.rows() > 100000) {
    std::cerr << "train: fitting " << options.kind << " on " << set.x_train.rows() << " rows\n";
  }
  const ModelFile file = fit_model_file(std::move(model), set);
  write_model_file(options.out, file);
  print_summary(std::cout, file, options.out, options.validation);
  return 0;
}

}  // namespace

void add_train_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<TrainOptions>();
  CLI::App* command = app.add_subcommand(
      "train",
      "Fit an offline power model (linear, ridge, poly2, gbt) on full-GPU or isolated-instance "
      "traces and write it as a model file for --method KIND --model FILE");
  command->add_option("TRACE", options->traces, "Trace files in the migpower CSV contract")
      ->required()
      ->type_name("FILE...");
  std::string kinds_help = "Model kind:";
  for (const auto& info : model_kinds()) {
    kinds_help += "\n  " + std::string(info.name) + ": " + std::string(info.description);
  }
  command->add_option("--model", options->kind, kinds_help)->required()->type_name("KIND");
  command->add_option("--out,-o", options->out, "Write the model file here")
      ->required()
      ->type_name("MODEL.json");
  command->add_option("--lambda", options->lambda,
                      "L2 penalty on standardized weights, for ridge (> 0) and poly2 (>= 0); "
                      "default 1");
  command
      ->add_option("--hyperparameters", options->hyperparameters,
                   "Hyperparameters as a JSON object, e.g. '{\"max_depth\": 4}' for gbt "
                   "(docs/models.md lists them)")
      ->type_name("JSON");
  command
      ->add_option("--validation", options->validation,
                   "Fraction of each trace held out, in time blocks, to measure the model on "
                   "rows it was not fitted to (0 to 0.5)")
      ->capture_default_str();
  command
      ->add_option("--active-threshold", options->active_threshold,
                   "GR_ENGINE_ACTIVE above which an instance counts as active")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  command->add_flag("--lenient", options->lenient,
                    "Skip bad trace rows (and count them) instead of stopping at the first");
  command->add_flag("--power-from-counter", options->power_from_counter,
                    "Take each frame's card power as the energy counter's mean since the GPU's "
                    "frame before (for traces whose power is an instantaneous reading)");
  command->footer(
      "Example:\n"
      "  migpower simulate --scenario single --out single.csv\n"
      "  migpower train single.csv --model ridge --out ridge.json\n"
      "  migpower evaluate --scenario mixed --method ridge --model ridge.json");
  command->callback([options, &action] { action = [options] { return train(*options); }; });
}

}  // namespace migpower::cli
