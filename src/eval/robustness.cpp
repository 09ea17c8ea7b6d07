#include "eval/robustness.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <span>
#include <utility>

#include "attribution/method_factory.hpp"
#include "core/error.hpp"
#include "eval/evaluation.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

const std::vector<std::string> kDefaultScenarios = {"single", "seven-1g", "mixed", "capped",
                                                    "h100-mix"};
const std::vector<std::string> kDefaultMethods = {"online", "equal", "slices", "utilization"};

constexpr double kMapeTargetPct = 3.0;
constexpr double kEnergyTargetPct = 2.0;

// Frames held in memory, replayed once per method.
class FrameReplay final : public FrameSource {
 public:
  explicit FrameReplay(std::span<const Frame> frames) : frames_(frames) {}
  bool next(Frame& out) override {
    if (next_ >= frames_.size()) return false;
    out = frames_[next_++];
    return true;
  }

 private:
  std::span<const Frame> frames_;
  std::size_t next_ = 0;
};

RobustnessRun summarise(const EvaluationReport& report) {
  RobustnessRun run;
  for (const auto& e : report.instances) {
    run.worst_mape_pct = std::max(run.worst_mape_pct, e.mape_pct);
    if (std::abs(e.energy_error_pct) > std::abs(run.worst_energy_error_pct)) {
      run.worst_energy_error_pct = e.energy_error_pct;
    }
  }
  run.aggregate_error_pct = report.aggregate_error_pct;
  run.coverage_1sd_pct = report.coverage_1sd_pct;
  run.coverage_2sd_pct = report.coverage_2sd_pct;
  return run;
}

}  // namespace

std::vector<RobustnessMethod> robustness_methods(const std::vector<std::string>& names,
                                                 IdlePolicy idle_policy) {
  std::vector<RobustnessMethod> methods;
  for (const auto& name : names.empty() ? kDefaultMethods : names) {
    MethodChoice choice;
    choice.method = name;
    choice.idle_policy = idle_policy;
    const MethodInfo* info = find_method(name);
    if (info == nullptr || info->needs_model_file) {
      throw InputError("method '" + name +
                       "' cannot run in the robustness experiment (unknown, or it needs a model "
                       "file)");
    }
    methods.push_back({method_label(choice), [choice] { return make_attributor(choice); }});
  }
  return methods;
}

std::vector<RobustnessRun> run_robustness_experiment(const RobustnessOptions& options,
                                                     const std::vector<RobustnessMethod>& methods) {
  const std::vector<RobustnessMethod> chosen =
      methods.empty() ? robustness_methods(options.methods, options.idle_policy) : methods;
  const auto& scenarios = options.scenarios.empty() ? kDefaultScenarios : options.scenarios;
  std::vector<RobustnessRun> runs;
  std::vector<Frame> frames;
  for (const auto& scenario : scenarios) {
    for (std::size_t k = 0; k < options.draws; ++k) {
      const std::uint64_t draw = options.first_draw + k;
      SimulationOptions simulation;
      simulation.scenario = scenario;
      simulation.seed = draw;
      simulation.physics = options.physics;
      simulation.physics_seed = draw;
      simulation.duration_s = options.duration_s;
      Simulator simulator(simulation);
      frames.clear();
      Frame frame;
      while (simulator.next(frame)) frames.push_back(frame);
      for (const auto& method : chosen) {
        FrameReplay replay(frames);
        Attributor attributor = method.make();
        EvaluationSettings settings;
        settings.warmup_s = options.warmup_s;
        const EvaluationReport report =
            evaluate(replay, attributor, method.label, options.idle_policy,
                     fmt::format("scenario {} (draw {})", scenario, draw), nullptr, settings);
        RobustnessRun run = summarise(report);
        run.scenario = scenario;
        run.method = method.label;
        run.draw = draw;
        runs.push_back(std::move(run));
      }
    }
  }
  return runs;
}

Distribution distribution(std::vector<double> values) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  const auto rank = [&](double q) {
    const auto r = static_cast<std::size_t>(std::ceil(q * static_cast<double>(n)));
    return values[std::clamp<std::size_t>(r, 1, n) - 1];
  };
  d.median = n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  d.p90 = rank(0.9);
  d.worst = values.back();
  d.best = values.front();
  return d;
}

namespace {

void print_row(std::ostream& out, const std::string& scenario, const std::string& method,
               const std::vector<const RobustnessRun*>& runs) {
  std::vector<double> mape;
  std::vector<double> energy;
  std::vector<double> cover1;
  std::vector<double> cover2;
  std::size_t pass = 0;
  double aggregate = 0.0;
  for (const RobustnessRun* run : runs) {
    mape.push_back(run->worst_mape_pct);
    energy.push_back(std::abs(run->worst_energy_error_pct));
    if (run->coverage_1sd_pct) cover1.push_back(*run->coverage_1sd_pct);
    if (run->coverage_2sd_pct) cover2.push_back(*run->coverage_2sd_pct);
    if (run->worst_mape_pct <= kMapeTargetPct &&
        std::abs(run->worst_energy_error_pct) <= kEnergyTargetPct) {
      ++pass;
    }
    aggregate = std::max(aggregate, run->aggregate_error_pct);
  }
  const Distribution m = distribution(mape);
  const Distribution e = distribution(energy);
  std::string coverage = "n/a | n/a";
  if (!cover1.empty() && !cover2.empty()) {
    const Distribution c1 = distribution(cover1);
    const Distribution c2 = distribution(cover2);
    coverage = fmt::format("{:.0f} ({:.0f}–{:.0f}) | {:.0f} ({:.0f}–{:.0f})", c1.median, c1.best,
                           c1.worst, c2.median, c2.best, c2.worst);
  }
  fmt::print(
      out,
      "| {} | {} | {} | {:.2f} / {:.2f} / {:.2f} | {:.2f} / {:.2f} / {:.2f} | {:.0f} | {} "
      "| {:.1e} |\n",
      scenario, method, runs.size(), m.median, m.p90, m.worst, e.median, e.p90, e.worst,
      runs.empty() ? 0.0 : 100.0 * static_cast<double>(pass) / static_cast<double>(runs.size()),
      coverage, aggregate);
}

}  // namespace

void print_robustness_markdown(std::ostream& out, const RobustnessOptions& options,
                               const std::vector<RobustnessRun>& runs) {
  std::vector<std::string> scenarios;
  std::vector<std::string> methods;
  for (const auto& run : runs) {
    if (std::find(scenarios.begin(), scenarios.end(), run.scenario) == scenarios.end()) {
      scenarios.push_back(run.scenario);
    }
    if (std::find(methods.begin(), methods.end(), run.method) == methods.end()) {
      methods.push_back(run.method);
    }
  }
  fmt::print(out,
             "physics {}, draws {}–{} ({} s each, {} s warm-up, idle policy {}); per draw the "
             "worst instance's MAPE and |energy error|, as median / p90 / worst over draws; pass: "
             "draws with MAPE ≤ 3 % and |energy| ≤ 2 %; coverage: % of shares whose truth is "
             "within 1 sd | 2 sd, median (range)\n\n",
             options.physics, options.first_draw, options.first_draw + options.draws - 1,
             options.duration_s, options.warmup_s, to_string(options.idle_policy));
  fmt::print(out,
             "| scenario | method | draws | worst MAPE % | worst energy % | pass % | 1 sd % | "
             "2 sd % | aggregate % |\n");
  fmt::print(out, "|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& scenario : scenarios) {
    for (const auto& method : methods) {
      std::vector<const RobustnessRun*> selected;
      for (const auto& run : runs) {
        if (run.scenario == scenario && run.method == method) selected.push_back(&run);
      }
      if (!selected.empty()) print_row(out, scenario, method, selected);
    }
  }
  if (scenarios.size() > 1) {
    for (const auto& method : methods) {
      std::vector<const RobustnessRun*> selected;
      for (const auto& run : runs) {
        if (run.method == method) selected.push_back(&run);
      }
      print_row(out, "all", method, selected);
    }
  }
}

}  // namespace migpower
