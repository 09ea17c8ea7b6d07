#pragma once

#include <ostream>
#include <span>
#include <string>
#include <string_view>

#include "core/process_sample.hpp"

namespace migpower {

// Writes the per-process side file of `migpower record --processes` (docs/live-telemetry.md):
// one CSV row per process per frame, keyed like the trace (timestamp, gpu_uuid, gpu_i_id) so the
// two join on those columns. Its own file, never the trace: the trace contract has no process
// rows.
class ProcessWriter {
 public:
  // The header; the columns in the order of a row.
  static constexpr std::string_view kHeader =
      "timestamp,gpu_uuid,gpu_i_id,pid,process_name,sm_util_pct,mem_util_pct,used_memory_bytes";

  // Writes the header on construction.
  explicit ProcessWriter(std::ostream& out, bool flush_each_frame = false);
  ~ProcessWriter();
  ProcessWriter(const ProcessWriter&) = delete;
  ProcessWriter& operator=(const ProcessWriter&) = delete;

  // The processes of one frame, one row each; flushed after them when flush_each_frame.
  void write(std::span<const ProcessSample> processes);
  void flush();

  [[nodiscard]] std::size_t rows() const { return rows_; }

 private:
  void text(std::string_view value);
  void drain();

  std::ostream& out_;
  bool flush_each_frame_;
  std::string buffer_;
  std::size_t rows_ = 0;
};

}  // namespace migpower
