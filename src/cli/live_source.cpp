#include "cli/live_source.hpp"

#include <algorithm>

#include "cli/usage_error.hpp"
#include "sources/dcgm/dcgm_source.hpp"
#include "sources/prometheus/dcgm_exporter_source.hpp"
#include "trace/time_text.hpp"

namespace migpower::cli {
namespace {

constexpr std::string_view kKinds = "nvml, dcgm or dcgm-exporter=URL";

}  // namespace

LiveSourceSpec parse_live_source_spec(std::string_view spec) {
  LiveSourceSpec parsed;
  const std::size_t equals = spec.find('=');
  parsed.kind = std::string(spec.substr(0, equals));
  if (equals != std::string_view::npos) parsed.argument = std::string(spec.substr(equals + 1));
  if (parsed.kind == "nvml") {
    if (equals != std::string_view::npos) {
      throw UsageError(
          "--source nvml takes no '=' argument (the library comes from "
          "MIGPOWER_NVML_LIBRARY, else libnvidia-ml.so.1)");
    }
  } else if (parsed.kind == "dcgm-exporter") {
    if (parsed.argument.empty()) {
      throw UsageError(
          "--source dcgm-exporter needs its URL: dcgm-exporter=http://HOST:9400/metrics");
    }
  } else if (parsed.kind == "dcgm" && equals != std::string_view::npos && parsed.argument.empty()) {
    throw UsageError(
        "--source dcgm= needs the host engine's address (dcgm=HOST or dcgm=HOST:5555); plain "
        "--source dcgm starts an embedded host engine");
  } else if (parsed.kind != "dcgm") {
    throw UsageError("--source '" + std::string(spec) + "' is not a live source: give " +
                     std::string(kKinds));
  }
  return parsed;
}

double parse_duration_option(std::string_view option, std::string_view text) {
  const std::optional<double> seconds = parse_duration_text(text);
  if (!seconds) {
    throw UsageError(std::string(option) + " '" + std::string(text) +
                     "' is not a positive duration (e.g. 100ms, 30s, 5m, 1h)");
  }
  return *seconds;
}

std::unique_ptr<FrameSource> open_live_source(std::string_view spec,
                                              const LiveSourceOptions& options) {
  const LiveSourceSpec parsed = parse_live_source_spec(spec);
  if (parsed.kind == "nvml") {
    NvmlSourceOptions nvml;
    nvml.interval_s = options.interval_s;
    nvml.duration_s = options.duration_s;
    nvml.stop = options.stop;
    nvml.power = options.nvml_power;
    nvml.processes = options.nvml_processes;
    return std::make_unique<NvmlSource>(std::move(nvml));
  }
  if (parsed.kind == "dcgm") {
    DcgmSourceOptions dcgm;
    dcgm.host_engine = parsed.argument;  // empty: an embedded host engine in this process
    dcgm.interval_s = options.interval_s;
    dcgm.duration_s = options.duration_s;
    dcgm.stop = options.stop;
    return std::make_unique<DcgmSource>(std::move(dcgm));
  }
  if (parsed.kind == "dcgm-exporter") {
    DcgmExporterSourceOptions exporter;
    // "dcgm-exporter=URL[,URL...]": several exporters (nodes) in one trace.
    std::string_view urls = parsed.argument;
    while (!urls.empty()) {
      const std::size_t comma = std::min(urls.find(','), urls.size());
      if (comma > 0) exporter.urls.emplace_back(urls.substr(0, comma));
      urls.remove_prefix(std::min(comma + 1, urls.size()));
    }
    exporter.interval_s = options.interval_s;
    exporter.duration_s = options.duration_s;
    exporter.stop = options.stop;
    return std::make_unique<DcgmExporterSource>(std::move(exporter));
  }
  // parse_live_source_spec admits no other kind.
  throw UsageError("--source " + parsed.kind + " is not built into this migpower yet; use nvml");
}

}  // namespace migpower::cli
