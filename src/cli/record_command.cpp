#include <atomic>
#include <iostream>
#include <memory>
#include <set>
#include <string>

#include "cli/commands.hpp"
#include "cli/live_source.hpp"
#include "cli/output.hpp"
#include "cli/stop_on_signals.hpp"
#include "cli/usage_error.hpp"
#include "sources/nvml/nvml_source.hpp"
#include "trace/process_writer.hpp"
#include "trace/trace_writer.hpp"

namespace migpower::cli {
namespace {

struct RecordOptions {
  std::string source;
  std::string interval = "1s";
  std::string duration;
  std::string power = "interval";
  std::string out;
  std::string processes;  // the per-process side file; nvml only
};

int record(const RecordOptions& options) {
  LiveSourceOptions live;
  live.interval_s = parse_duration_option("--interval", options.interval);
  if (!options.duration.empty()) {
    live.duration_s = parse_duration_option("--duration", options.duration);
  }
  if (options.power == "interval") {
    live.nvml_power = PowerReading::interval;
  } else if (options.power == "instant") {
    live.nvml_power = PowerReading::instant;
  } else if (options.power == "average") {
    live.nvml_power = PowerReading::average;
  } else {
    throw UsageError("--power must be interval, instant or average, not '" + options.power + "'");
  }
  live.stop = &stop_requested();
  // Usage errors before touching any device.
  const LiveSourceSpec spec = parse_live_source_spec(options.source);
  if (!options.processes.empty()) {
    if (spec.kind != "nvml") {
      throw UsageError("--processes needs --source nvml (per-process data comes from NVML), not '" +
                       options.source + "'");
    }
    if (options.processes == "-" || options.processes == options.out) {
      throw UsageError("--processes needs a file of its own, apart from the trace (--out)");
    }
    live.nvml_processes = true;
  }

  StopOnSignals signals;
  const std::unique_ptr<FrameSource> source = open_live_source(options.source, live);
  Output output(options.out);
  // Flushed after every frame: a recorder that is killed loses at most the frame in flight.
  TraceWriter writer(output.stream(), /*flush_each_frame=*/true);
  // The per-process side file, written frame by frame beside the trace.
  const auto* nvml = dynamic_cast<const NvmlSource*>(source.get());
  std::unique_ptr<Output> process_output;
  std::unique_ptr<ProcessWriter> process_writer;
  if (live.nvml_processes && nvml != nullptr) {
    process_output = std::make_unique<Output>(options.processes);
    process_writer =
        std::make_unique<ProcessWriter>(process_output->stream(), /*flush_each_frame=*/true);
  }
  Frame frame;
  std::size_t frames = 0;
  std::set<std::string> gpus;
  while (source->next(frame)) {
    writer.write(frame);
    if (process_writer) process_writer->write(nvml->processes());
    ++frames;
    if (gpus.size() < 1024) gpus.insert(frame.gpu_uuid);
  }
  writer.flush();
  output.close();
  if (process_writer) {
    process_writer->flush();
    process_output->close();
  }
  std::cerr << "migpower: recorded " << frames << " frames of " << gpus.size() << " GPU"
            << (gpus.size() == 1 ? "" : "s") << " from " << options.source
            << (stop_requested().load() ? " (stopped by signal)" : "");
  if (process_writer) {
    std::cerr << "; " << process_writer->rows() << " process rows to " << options.processes;
  }
  std::cerr << "\n";
  return 0;
}

}  // namespace

void add_record_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<RecordOptions>();
  CLI::App* command = app.add_subcommand(
      "record", "Record a live card to a trace (docs/live-telemetry.md), one frame per interval");
  command
      ->add_option(
          "--source", options->source,
          "nvml, dcgm (embedded host engine), dcgm=HOST[:PORT] (a running nv-hostengine), or "
          "dcgm-exporter=URL (the exporter's /metrics)")
      ->required();
  command->add_option("--interval", options->interval, "Time between frames: 100ms, 1s, 1m")
      ->capture_default_str();
  command->add_option("--duration", options->duration,
                      "Stop after this long (30s, 5m, 1h); default: until Ctrl-C or SIGTERM");
  command
      ->add_option("--power", options->power,
                   "nvml: interval (the mean over each frame, from the energy counter; "
                   "matches the activity fields, which are means too), instant "
                   "(NVML_FI_DEV_POWER_INSTANT where offered) or average (nvmlDeviceGetPowerUsage)")
      ->capture_default_str();
  command->add_option("--out,-o", options->out, "Trace file to write ('-': stdout)")
      ->required()
      ->type_name("TRACE.csv");
  command
      ->add_option("--processes", options->processes,
                   "nvml: also write each frame's processes (GPU instance, memory, utilization "
                   "where the driver offers it) to this CSV, beside the trace")
      ->type_name("FILE.csv");
  command->footer(
      "Examples:\n"
      "  migpower record --source nvml --duration 1h --out node1.csv\n"
      "  migpower record --source nvml --out node1.csv --processes node1-processes.csv\n"
      "  migpower record --source nvml --interval 100ms --out - | head\n"
      "Then: migpower attribute node1.csv");
  command->callback([options, &action] { action = [options] { return record(*options); }; });
}

}  // namespace migpower::cli
