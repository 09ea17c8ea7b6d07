#include "eval/paper_experiment.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <set>
#include <utility>

#include "attribution/method_factory.hpp"
#include "core/error.hpp"
#include "eval/evaluation.hpp"
#include "model/model_kinds.hpp"
#include "model/train.hpp"
#include "model/training_data.hpp"
#include "sim/simulator.hpp"
#include "trace/trace_reader.hpp"

namespace migpower {
namespace {

namespace fs = std::filesystem;

// One run a test or training set reads: a simulator seed or a trace file, reopened per method.
struct Run {
  std::string name;
  std::function<std::unique_ptr<FrameSource>()> open;
};

// A test: one scenario over the test seeds, or one trace.
struct Test {
  std::string name;
  std::vector<Run> runs;
};

Run simulator_run(const std::string& scenario, std::uint64_t seed, double duration_s) {
  return {"scenario " + scenario + " (seed " + std::to_string(seed) + ")", [=] {
            SimulationOptions simulation;
            simulation.scenario = scenario;
            simulation.seed = seed;
            simulation.duration_s = duration_s;
            return std::unique_ptr<FrameSource>(std::make_unique<Simulator>(simulation));
          }};
}

Run trace_run(const std::string& path) {
  return {path,
          [path] { return std::unique_ptr<FrameSource>(std::make_unique<TraceReader>(path)); }};
}

// What a test trace is, read once before the methods run.
struct TraceShape {
  std::string gpu_model;
  std::size_t max_instances = 0;
  std::size_t frames = 0;
  std::size_t concurrent_frames = 0;  // two or more instances active
  std::set<std::string> workloads;
};

// GR_ENGINE_ACTIVE above which an instance counts as active, as the training rows are chosen.
constexpr double kActiveThreshold = TrainingDataOptions{}.active_threshold;

TraceShape shape_of(FrameSource& source) {
  TraceShape shape;
  Frame frame;
  while (source.next(frame)) {
    if (shape.gpu_model.empty()) shape.gpu_model = frame.gpu_model;
    ++shape.frames;
    shape.max_instances = std::max(shape.max_instances, frame.instances.size());
    std::size_t active = 0;
    for (const auto& instance : frame.instances) {
      if (instance.get(Activity::gr_engine).value_or(0.0) > kActiveThreshold) ++active;
      if (!instance.workload.empty()) shape.workloads.insert(instance.workload);
    }
    if (active >= 2) ++shape.concurrent_frames;
  }
  return shape;
}

// A directory for the model files: the one asked for, or a temporary one removed at the end.
class ModelDirectory {
 public:
  explicit ModelDirectory(const std::string& requested) {
    if (!requested.empty()) {
      path_ = requested;
      fs::create_directories(path_);
      return;
    }
    std::string pattern = (fs::temp_directory_path() / "migpower-paper-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw InputError("cannot create a temporary directory for the model files");
    }
    path_ = pattern;
    temporary_ = true;
  }
  ~ModelDirectory() {
    std::error_code ignored;
    if (temporary_) fs::remove_all(path_, ignored);
  }
  ModelDirectory(const ModelDirectory&) = delete;
  ModelDirectory& operator=(const ModelDirectory&) = delete;
  [[nodiscard]] const fs::path& path() const { return path_; }

 private:
  fs::path path_;
  bool temporary_ = false;
};

// The training rows of every training run, as `migpower train` builds them.
TrainingData training_data(const PaperExperimentOptions& options) {
  TrainingDataBuilder builder;
  if (!options.test_traces.empty()) {
    for (const auto& path : options.train_traces) {
      TraceReader reader(path);
      builder.add(reader, path);
    }
  } else {
    for (const auto& scenario : options.train_scenarios) {
      for (const std::uint64_t seed : options.train_seeds) {
        const Run run = simulator_run(scenario, seed, options.train_duration_s);
        const auto source = run.open();
        builder.add(*source, run.name);
      }
    }
  }
  return builder.finish();
}

// Fits every kind on the training rows (less a validation hold-out) and writes its model file.
std::vector<TrainedModel> train_models(const PaperExperimentOptions& options, const fs::path& dir,
                                       std::vector<std::string>& notes) {
  std::vector<std::string> kinds = options.model_kinds;
  if (kinds.empty()) {
    for (const auto& info : model_kinds()) kinds.emplace_back(info.name);
  }
  if (kinds.empty()) return {};
  TrainingData data = training_data(options);
  if (data.summary.rows == 0) {
    notes.push_back(fmt::format(
        "no offline models: the {} training frames hold none where one instance runs alone",
        data.summary.frames));
    return {};
  }
  const TrainingSet set = split_training_set(std::move(data), options.validation_fraction);

  std::vector<TrainedModel> trained;
  for (const auto& kind : kinds) {
    const ModelFile file = fit_model_file(make_power_model(kind), set);
    TrainedModel model{kind, (dir / (kind + ".json")).string(), file.training, file.training_error,
                       file.validation_error};
    write_model_file(model.path, file);
    trained.push_back(std::move(model));
  }
  return trained;
}

std::vector<Test> tests_of(const PaperExperimentOptions& options) {
  std::vector<Test> tests;
  if (!options.test_traces.empty()) {
    for (const auto& path : options.test_traces) tests.push_back({path, {trace_run(path)}});
    return tests;
  }
  for (const auto& scenario : options.test_scenarios) {
    Test test{scenario, {}};
    for (const std::uint64_t seed : options.test_seeds) {
      test.runs.push_back(simulator_run(scenario, seed, options.test_duration_s));
    }
    tests.push_back(std::move(test));
  }
  return tests;
}

// The methods to compare, in attribution_methods() order; offline ones only where trained.
std::vector<MethodChoice> methods_of(const PaperExperimentOptions& options,
                                     const std::vector<TrainedModel>& models) {
  std::vector<MethodChoice> methods;
  for (const auto& info : attribution_methods()) {
    MethodChoice choice;
    choice.method = std::string(info.name);
    choice.idle_policy = options.idle_policy;
    if (info.needs_model_file) {
      const auto it = std::find_if(models.begin(), models.end(),
                                   [&](const TrainedModel& m) { return m.kind == info.name; });
      if (it == models.end()) continue;
      choice.model_path = it->path;
      choice.force_model = true;  // a cross-GPU test is shown, and marked, rather than refused
    }
    methods.push_back(std::move(choice));
  }
  return methods;
}

std::string setting_of(const TraceShape& shape, const std::vector<TrainedModel>& models) {
  if (shape.max_instances > 1) return "concurrent";
  if (models.empty() || shape.workloads.empty()) return "isolated";
  const auto& trained = models.front().training.workloads;
  const bool seen = std::all_of(shape.workloads.begin(), shape.workloads.end(), [&](const auto& w) {
    return std::find(trained.begin(), trained.end(), w) != trained.end();
  });
  return seen ? "isolated, seen workload" : "isolated, held-out workload";
}

// Running means over the test seeds of one (test, method).
class RowAverage {
 public:
  void add(const EvaluationReport& report) {
    const ReportSummary s = summarize(report);
    ++count_;
    mean_mape_ += s.mean_mape_pct;
    worst_mape_ += s.worst_mape_pct;
    worst_energy_ += s.worst_energy_error_pct;
    wape_ += report.wape_pct;
    aggregate_ += report.aggregate_error_pct;
    add_optional(mean_mape_before_, s.mean_mape_before_pct);
    add_optional(worst_mape_before_, s.worst_mape_before_pct);
    add_optional(wape_before_, report.wape_before_pct);
    add_optional(aggregate_before_, report.aggregate_error_before_pct);
  }
  void write(PaperRow& row) const {
    const auto n = static_cast<double>(count_);
    row.summary.mean_mape_pct = mean_mape_ / n;
    row.summary.worst_mape_pct = worst_mape_ / n;
    row.summary.worst_energy_error_pct = worst_energy_ / n;
    row.summary.mean_mape_before_pct = mean_of(mean_mape_before_);
    row.summary.worst_mape_before_pct = mean_of(worst_mape_before_);
    row.wape_pct = wape_ / n;
    row.wape_before_pct = mean_of(wape_before_);
    row.aggregate_error_pct = aggregate_ / n;
    row.aggregate_error_before_pct = mean_of(aggregate_before_);
  }

 private:
  struct Optional {
    double sum = 0.0;
    std::size_t count = 0;
  };
  static void add_optional(Optional& into, const std::optional<double>& value) {
    if (!value) return;
    into.sum += *value;
    ++into.count;
  }
  static std::optional<double> mean_of(const Optional& o) {
    if (o.count == 0) return std::nullopt;
    return o.sum / static_cast<double>(o.count);
  }
  std::size_t count_ = 0;
  double mean_mape_ = 0.0;
  double worst_mape_ = 0.0;
  double worst_energy_ = 0.0;
  double wape_ = 0.0;
  double aggregate_ = 0.0;
  Optional mean_mape_before_;
  Optional worst_mape_before_;
  Optional wape_before_;
  Optional aggregate_before_;
};

std::string number_or_na(const std::optional<double>& value, int decimals = 2) {
  return value ? fmt::format("{:.{}f}", *value, decimals) : std::string("n/a");
}

std::string joined(const std::vector<std::string>& items) {
  std::string text;
  for (const auto& item : items) text += (text.empty() ? "" : ", ") + item;
  return text.empty() ? "(unlabelled)" : text;
}

}  // namespace

PaperExperimentResult run_paper_experiment(const PaperExperimentOptions& options) {
  if (options.test_traces.empty() && !options.train_traces.empty()) {
    throw InputError("training traces need test traces too (--test FILE...)");
  }
  PaperExperimentResult result;
  ModelDirectory dir(options.model_dir);
  result.models = train_models(options, dir.path(), result.notes);
  const std::vector<MethodChoice> methods = methods_of(options, result.models);
  const std::string trained_gpu =
      result.models.empty() ? std::string() : result.models.front().training.gpu_model;

  for (const Test& test : tests_of(options)) {
    TraceShape shape;
    for (const Run& run : test.runs) {  // seeds of one scenario share a layout
      const auto source = run.open();
      TraceShape one = shape_of(*source);
      shape.gpu_model = one.gpu_model;
      shape.max_instances = std::max(shape.max_instances, one.max_instances);
      shape.frames += one.frames;
      shape.concurrent_frames += one.concurrent_frames;
      shape.workloads.insert(one.workloads.begin(), one.workloads.end());
    }
    const bool other_gpu = !trained_gpu.empty() && !same_gpu_model(shape.gpu_model, trained_gpu);
    if (other_gpu) {
      result.notes.push_back(
          fmt::format("† {}: the card is an {}; the offline models were trained on an {} and are "
                      "applied anyway (forced)",
                      test.name, shape.gpu_model, trained_gpu));
    }
    for (const MethodChoice& method : methods) {
      RowAverage average;
      PaperRow row;
      for (const Run& run : test.runs) {
        const auto source = run.open();
        const EvaluationReport report =
            evaluate(*source, method, run.name, nullptr, EvaluationSettings{options.warmup_s});
        average.add(report);
        row.method = report.method;
      }
      row.test = test.name;
      row.isolated = shape.max_instances <= 1;
      row.setting = setting_of(shape, result.models);
      row.concurrent_frames_pct = shape.frames > 0
                                      ? 100.0 * static_cast<double>(shape.concurrent_frames) /
                                            static_cast<double>(shape.frames)
                                      : 0.0;
      row.other_gpu = other_gpu && !method.model_path.empty();
      if (!method.model_path.empty()) {  // "ridge (ridge.json)": the kind is the method here
        row.method = method.method;
      }
      average.write(row);
      result.rows.push_back(std::move(row));
    }
  }
  return result;
}

void print_paper_markdown(std::ostream& out, const PaperExperimentResult& result) {
  if (!result.models.empty()) {
    const TrainingSummary& t = result.models.front().training;
    fmt::print(out, "Offline models: trained on {} ({} rows from {}; workloads: {})\n\n",
               t.gpu_model, t.rows, joined(t.sources), joined(t.workloads));
    fmt::print(out, "| model | training MAPE % | validation MAPE % | validation RMSE W |\n");
    fmt::print(out, "|---|---|---|---|\n");
    for (const auto& m : result.models) {
      fmt::print(out, "| {} | {:.2f} | {} | {} |\n", m.kind, m.training_error.mape_pct,
                 m.validation_error ? fmt::format("{:.2f}", m.validation_error->mape_pct) : "n/a",
                 m.validation_error ? fmt::format("{:.2f}", m.validation_error->rmse_w) : "n/a");
    }
    fmt::print(out, "\n");
  }

  fmt::print(out,
             "| test | setting | concurrent frames % | method | MAPE % before | MAPE % after | "
             "worst MAPE % after | WAPE % before | WAPE % after | worst energy % | aggregate % "
             "before | aggregate % after |\n");
  fmt::print(out, "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& r : result.rows) {
    fmt::print(out,
               "| {} | {} | {:.1f} | {}{} | {} | {:.2f} | {:.2f} | {} | {:.2f} | {:+.2f} | {} | "
               "{:.4f} |\n",
               r.test, r.setting, r.concurrent_frames_pct, r.method, r.other_gpu ? " †" : "",
               number_or_na(r.summary.mean_mape_before_pct), r.summary.mean_mape_pct,
               r.summary.worst_mape_pct, number_or_na(r.wape_before_pct), r.wape_pct,
               r.summary.worst_energy_error_pct, number_or_na(r.aggregate_error_before_pct, 4),
               r.aggregate_error_pct);
  }

  // Per method: the mean over tests of the per-instance MAPE, isolated vs concurrent.
  std::vector<std::string> order;
  for (const auto& r : result.rows) {
    if (std::find(order.begin(), order.end(), r.method) == order.end()) order.push_back(r.method);
  }
  fmt::print(out,
             "\nMean per-instance MAPE % over the tests (cross-GPU rows, marked †, left out):\n\n"
             "| method | isolated, before | isolated, after | concurrent, before | concurrent, "
             "after |\n|---|---|---|---|---|\n");
  for (const auto& method : order) {
    std::array<double, 4> sums{};
    std::array<std::size_t, 4> counts{};
    for (const auto& r : result.rows) {
      if (r.method != method || r.other_gpu) continue;
      const std::size_t base = r.isolated ? 0 : 2;
      if (r.summary.mean_mape_before_pct) {
        sums[base] += *r.summary.mean_mape_before_pct;
        ++counts[base];
      }
      sums[base + 1] += r.summary.mean_mape_pct;
      ++counts[base + 1];
    }
    auto cell = [&](std::size_t k) {
      return counts[k] > 0 ? fmt::format("{:.2f}", sums[k] / static_cast<double>(counts[k]))
                           : std::string("n/a");
    };
    fmt::print(out, "| {} | {} | {} | {} | {} |\n", method, cell(0), cell(1), cell(2), cell(3));
  }
  if (!result.notes.empty()) fmt::print(out, "\nNotes:\n\n");
  for (const auto& note : result.notes) fmt::print(out, "- {}\n", note);
}

}  // namespace migpower
