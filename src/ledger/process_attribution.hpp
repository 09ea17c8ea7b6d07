#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "attribution/process_split.hpp"
#include "core/frame.hpp"
#include "core/shares.hpp"
#include "ledger/energy_ledger.hpp"
#include "ledger/process_ledger.hpp"
#include "trace/process_reader.hpp"

namespace migpower {

// What was read from the per-process side file, printed with the per-process figures.
struct ProcessFileSummary {
  std::string path;
  std::size_t rows = 0;
  std::size_t rows_matched = 0;       // rows of a frame of the trace
  std::size_t rows_unmatched = 0;     // rows no frame asked for
  std::size_t processes_ignored = 0;  // rows matched but not placed in an instance
};

// Each instance's share split among its processes, frame by frame, from the side file of
// `record --processes`: matches the file's rows to the trace's frames (by GPU and timestamp),
// splits (ProcessSplitter) and integrates (ProcessLedger).
class ProcessAttribution {
 public:
  explicit ProcessAttribution(const std::string& path) : reader_(path) {}

  // Call right after energy.add(frame, attribution).
  void add(const Frame& frame, const FrameAttribution& attribution, const EnergyLedger& energy);

  // The split of the frame last added.
  [[nodiscard]] const FrameProcessSplit& split() const { return split_; }

  // Reads the rest of the side file and sums up what matched. Each row that fits no frame is
  // described, once per cause, in warnings(): a GPU the trace never has, rows at timestamps with
  // no frame of their GPU, processes that fit no instance of their frame.
  ProcessFileSummary finish(const EnergyLedger& energy);

  // After finish(): one sentence per cause, for the user (the CLI prints them).
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }

  [[nodiscard]] const ProcessLedger& ledger() const { return ledger_; }

 private:
  ProcessReader reader_;
  ProcessSplitter splitter_;
  FrameProcessSplit split_;
  ProcessLedger ledger_;
  std::vector<std::string> warnings_;
};

}  // namespace migpower
