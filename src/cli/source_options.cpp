#include "cli/source_options.hpp"

#include <iostream>

#include "cli/usage_error.hpp"
#include "sim/simulator.hpp"
#include "sources/interval_power.hpp"

namespace migpower::cli {

void add_source_options(CLI::App& command, SourceOptions& options) {
  command
      .add_option("TRACE", options.trace, "Trace file in the migpower CSV contract ('-' = stdin)")
      ->type_name("FILE");
  command
      .add_option(
          "--scenario", options.scenario,
          "Simulate this scenario instead of reading a trace (see `migpower simulate --list`)")
      ->type_name("NAME");
  command.add_option("--seed", options.seed, "Simulator seed")->capture_default_str();
  command.add_option("--duration", options.duration_s, "Simulated seconds")->capture_default_str();
  command.add_option("--interval", options.interval_s, "Simulated seconds between frames")
      ->capture_default_str();
  command
      .add_option("--physics", options.physics,
                  "Simulator physics family: nominal, random (drawn from --physics-seed) or a "
                  "named one (`migpower simulate --list-physics`)")
      ->capture_default_str();
  command.add_option("--physics-seed", options.physics_seed, "Draw of --physics random")
      ->capture_default_str();
  command.add_flag("--lenient", options.lenient,
                   "Skip bad trace rows (and count them) instead of stopping at the first");
  command.add_flag("--power-from-counter", options.power_from_counter,
                   "Take each frame's card power as the energy counter's mean since the GPU's "
                   "frame before (for traces whose power is an instantaneous reading; "
                   "docs/live-telemetry.md)");
}

OpenedSource::OpenedSource(const SourceOptions& options) {
  open(options);
  if (options.power_from_counter) {
    interval_power_ = std::make_unique<IntervalPowerSource>(*source_);
  }
}

void OpenedSource::open(const SourceOptions& options) {
  if (!options.trace.empty() && !options.scenario.empty()) {
    throw UsageError("give either a TRACE file or --scenario, not both");
  }
  if (!options.scenario.empty()) {
    SimulationOptions simulation;
    simulation.scenario = options.scenario;
    simulation.seed = options.seed;
    simulation.duration_s = options.duration_s;
    simulation.interval_s = options.interval_s;
    simulation.physics = options.physics;
    simulation.physics_seed = options.physics_seed;
    source_ = std::make_unique<Simulator>(simulation);
    name_ = "scenario " + options.scenario + " (seed " + std::to_string(options.seed);
    if (options.physics != "nominal") {
      name_ += ", physics " + options.physics;
      if (options.physics == "random") name_ += " #" + std::to_string(options.physics_seed);
    }
    name_ += ")";
    return;
  }
  if (options.trace.empty()) {
    throw UsageError("no input: give a TRACE file, or --scenario NAME to simulate one");
  }
  auto reader = std::make_unique<TraceReader>(options.trace, TraceReaderOptions{options.lenient});
  reader_ = reader.get();
  source_ = std::move(reader);
  name_ = options.trace;
}

void OpenedSource::report_skipped() const {
  if (reader_ == nullptr || reader_->rows_skipped() == 0) return;
  std::cerr << "migpower: warning: skipped " << reader_->rows_skipped() << " of "
            << reader_->rows_read() << " rows of " << reader_->path() << " (--lenient)\n";
  for (const auto& example : reader_->skip_examples()) std::cerr << "  " << example << "\n";
}

}  // namespace migpower::cli
