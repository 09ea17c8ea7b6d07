#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/usage_error.hpp"
#include "sources/nvidia_smi/nvidia_smi_csv.hpp"
#include "sources/prometheus/prometheus_history_source.hpp"
#include "trace/time_text.hpp"
#include "trace/trace_writer.hpp"

namespace migpower::cli {
namespace {

struct PrometheusImportOptions {
  std::string url;
  std::string from;
  std::string to;
  std::string step = "1s";
  std::vector<std::string> gpus;
  std::size_t points_per_request = 2000;
  double timeout_s = 60.0;
  int retries = 3;
  std::string out;
};

struct NvidiaSmiImportOptions {
  std::string file;
  std::string utc_offset = "+00:00";
  std::string out;
};

double parse_time_option(const std::string& name, const std::string& text) {
  const std::optional<double> seconds = parse_time_text(text);
  if (!seconds) {
    throw UsageError(name + " '" + text +
                     "' is not a time: give RFC 3339 (2026-11-01T00:00:00Z) or unix seconds");
  }
  return *seconds;
}

// What a long import has done, on standard error: a line rewritten in place on a terminal,
// else a line every ten seconds (logs of a month-long backfill stay short).
class ImportProgress {
 public:
  ImportProgress() : terminal_(isatty(STDERR_FILENO) == 1), last_(clock::now()) {}

  void update(std::size_t windows_done, std::size_t windows_total, std::size_t frames) {
    const auto now = clock::now();
    if (now - last_ < (terminal_ ? std::chrono::seconds(1) : std::chrono::seconds(10))) return;
    last_ = now;
    std::fprintf(stderr, "%simport: window %zu of %zu (%.0f%%), %zu frames%s",
                 terminal_ ? "\r" : "", windows_done, windows_total,
                 100.0 * static_cast<double>(windows_done) / static_cast<double>(windows_total),
                 frames, terminal_ ? "" : "\n");
    printed_ = true;
  }
  ~ImportProgress() {
    if (printed_ && terminal_) std::fputs("\n", stderr);
  }
  ImportProgress(const ImportProgress&) = delete;
  ImportProgress& operator=(const ImportProgress&) = delete;

 private:
  using clock = std::chrono::steady_clock;
  bool terminal_;
  clock::time_point last_;
  bool printed_ = false;
};

int import_prometheus(const PrometheusImportOptions& options) {
  PrometheusHistoryOptions history;
  history.url = options.url;
  history.from_s = parse_time_option("--from", options.from);
  history.to_s = parse_time_option("--to", options.to);
  if (history.to_s < history.from_s) throw UsageError("--to is before --from");
  const std::optional<double> step = parse_duration_text(options.step);
  if (!step) throw UsageError("--step '" + options.step + "' is not a duration (1s, 500ms, 1m)");
  history.step_s = *step;
  history.gpus = options.gpus;
  history.points_per_request = options.points_per_request;
  history.http.read_timeout_s = options.timeout_s;
  history.http.total_timeout_s = 5.0 * options.timeout_s;
  history.http.attempts = options.retries + 1;

  PrometheusHistorySource source(history);
  Output output(options.out);
  TraceWriter writer(output.stream());
  ImportProgress progress;
  std::set<std::string> cards;
  std::size_t frames = 0;
  Frame frame;
  while (source.next(frame)) {
    writer.write(frame);
    cards.insert(frame.gpu_uuid);
    ++frames;
    progress.update(source.windows_done(), source.windows_total(), frames);
  }
  writer.flush();
  output.close();
  std::cerr << "import: " << frames << " frames of " << cards.size() << " GPU(s) from "
            << options.url << ", " << format_rfc3339(history.from_s) << " to "
            << format_rfc3339(history.to_s) << " every " << options.step << ", "
            << source.windows_total() << " request(s)\n";
  if (frames == 0) {
    std::cerr << "import: warning: Prometheus returned no dcgm-exporter series in this range ("
              << source.query() << ")\n";
  }
  if (source.dropped_values() > 0) {
    std::cerr << "import: " << source.dropped_values() << " impossible values left out, e.g. "
              << source.drop_examples().front() << "\n";
  }
  return 0;
}

int import_nvidia_smi(const NvidiaSmiImportOptions& options) {
  NvidiaSmiCsvOptions csv;
  const std::optional<double> offset = parse_utc_offset(options.utc_offset);
  if (!offset) {
    throw UsageError("--utc-offset '" + options.utc_offset + "' is not an offset like +02:00");
  }
  csv.utc_offset_s = *offset;
  NvidiaSmiCsvSource source(options.file, csv);
  Output output(options.out);
  TraceWriter writer(output.stream());
  std::set<std::string> cards;
  std::size_t frames = 0;
  Frame frame;
  while (source.next(frame)) {
    writer.write(frame);
    cards.insert(frame.gpu_uuid);
    ++frames;
  }
  writer.flush();
  output.close();
  std::cerr << "import: " << frames << " frames of " << cards.size() << " GPU(s) from "
            << options.file;
  if (source.duplicates_skipped() > 0) {
    std::cerr << " (" << source.duplicates_skipped() << " rows repeating a timestamp skipped)";
  }
  std::cerr << "\n";
  return 0;
}

}  // namespace

void add_import_command(CLI::App& app, Action& action) {
  CLI::App* command = app.add_subcommand(
      "import", "Convert telemetry kept elsewhere (Prometheus, nvidia-smi logs) into a trace");
  command->require_subcommand(1);

  auto prom = std::make_shared<PrometheusImportOptions>();
  CLI::App* prometheus = command->add_subcommand(
      "prometheus",
      "Read dcgm-exporter series from Prometheus' HTTP API (query_range, paged by time) into a "
      "trace: card power, energy, clocks, temperature and per-instance DCGM_FI_PROF_* fields");
  prometheus->add_option("--url", prom->url, "Prometheus server, e.g. http://prometheus:9090")
      ->required();
  prometheus->add_option("--from", prom->from, "Start: RFC 3339 or unix seconds")->required();
  prometheus->add_option("--to", prom->to, "End (included): RFC 3339 or unix seconds")->required();
  prometheus->add_option("--step", prom->step, "Time between frames (1s, 500ms, 1m)")
      ->capture_default_str();
  prometheus->add_option("--gpu", prom->gpus, "Only this card UUID (repeatable)")
      ->type_name("UUID");
  prometheus
      ->add_option("--points-per-request", prom->points_per_request,
                   "Steps fetched per request (at most 11000, Prometheus' limit)")
      ->capture_default_str()
      ->check(CLI::Range(1, 11000));
  prometheus->add_option("--timeout", prom->timeout_s, "Seconds of silence before a retry")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  prometheus
      ->add_option("--retries", prom->retries,
                   "Retries of a failed request, with exponential back-off from 0.5 s")
      ->capture_default_str()
      ->check(CLI::Range(0, 20));
  prometheus->add_option("--out,-o", prom->out, "Write the trace here (default: stdout)")
      ->type_name("FILE");
  prometheus->callback([prom, &action] { action = [prom] { return import_prometheus(*prom); }; });

  auto smi = std::make_shared<NvidiaSmiImportOptions>();
  CLI::App* nvidia_smi = command->add_subcommand(
      "nvidia-smi",
      "Convert a log of nvidia-smi --query-gpu=timestamp,uuid,name,power.draw,... --format=csv "
      "into a trace (card level only: nvidia-smi sees no MIG instance activity)");
  nvidia_smi->add_option("FILE", smi->file, "The nvidia-smi CSV log")->required();
  nvidia_smi
      ->add_option("--utc-offset", smi->utc_offset,
                   "Offset of the log's local time from UTC, e.g. +02:00 (nvidia-smi prints "
                   "local time without a zone)")
      ->capture_default_str();
  nvidia_smi->add_option("--out,-o", smi->out, "Write the trace here (default: stdout)")
      ->type_name("FILE");
  nvidia_smi->callback([smi, &action] { action = [smi] { return import_nvidia_smi(*smi); }; });
}

}  // namespace migpower::cli
