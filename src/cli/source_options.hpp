#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "core/frame.hpp"
#include "trace/trace_reader.hpp"

namespace migpower::cli {

// Where frames come from: a trace file, or the simulator when --scenario is given.
struct SourceOptions {
  std::string trace;
  std::string scenario;
  std::uint64_t seed = 1;
  double duration_s = 600.0;
  double interval_s = 1.0;
  std::string physics = "nominal";  // the simulator's physics family (docs/simulator.md)
  std::uint64_t physics_seed = 1;
  bool lenient = false;
  bool power_from_counter = false;  // card power = the energy counter's mean over each frame
};

// Adds the TRACE positional and the --scenario/--seed/--duration/--interval/--physics/
// --physics-seed/--lenient/--power-from-counter flags.
void add_source_options(CLI::App& command, SourceOptions& options);

// An opened source and what to call it in reports; reports skipped rows when it is a
// lenient trace reader.
class OpenedSource {
 public:
  explicit OpenedSource(const SourceOptions& options);
  OpenedSource(const OpenedSource&) = delete;
  OpenedSource& operator=(const OpenedSource&) = delete;

  [[nodiscard]] FrameSource& frames() { return interval_power_ ? *interval_power_ : *source_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  // Prints "skipped N rows" with examples to stderr when a lenient reader skipped any.
  void report_skipped() const;

 private:
  void open(const SourceOptions& options);

  std::unique_ptr<FrameSource> source_;
  std::unique_ptr<FrameSource> interval_power_;  // wraps source_ with --power-from-counter
  std::string name_;
  const TraceReader* reader_ = nullptr;  // the source, when it is a trace file
};

}  // namespace migpower::cli
