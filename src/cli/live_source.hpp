#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/frame.hpp"
#include "sources/nvml/nvml_source.hpp"

namespace migpower::cli {

// A live source as named on the command line: "nvml", "dcgm", "dcgm-exporter=URL".
struct LiveSourceSpec {
  std::string kind;      // "nvml", "dcgm" or "dcgm-exporter"
  std::string argument;  // the text after '=' (empty when there is none)
};

// Splits and checks a spec. Throws UsageError for an unknown kind, or an argument a kind does
// not take or lacks.
[[nodiscard]] LiveSourceSpec parse_live_source_spec(std::string_view spec);

struct LiveSourceOptions {
  double interval_s = 1.0;
  std::optional<double> duration_s;         // none: until stopped
  const std::atomic<bool>* stop = nullptr;  // the source ends once it is true
  PowerReading nvml_power = PowerReading::interval;
  bool nvml_processes = false;  // NvmlSourceOptions::processes
};

// Seconds from "100ms", "30s", "5m", "1h" (or a plain number of seconds). Throws UsageError
// naming `option` when the text is not a positive duration.
[[nodiscard]] double parse_duration_option(std::string_view option, std::string_view text);

// Opens the live source `spec` names. Throws UsageError for a bad spec, InputError (such as
// nvml::NvmlError) when the source cannot be used on this machine.
[[nodiscard]] std::unique_ptr<FrameSource> open_live_source(std::string_view spec,
                                                            const LiveSourceOptions& options);

}  // namespace migpower::cli
