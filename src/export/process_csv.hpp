#pragma once

#include <cstddef>
#include <ostream>
#include <string>

#include "core/frame.hpp"
#include "core/process_shares.hpp"

namespace migpower {

// Writes the per-process split of each frame as CSV (attribute --processes --process-csv): one
// row per process per frame, then one "(no process)" row for each instance whose share no
// process fully holds (pid empty, static_w and dynamic_w empty). So the power_w of a frame's
// rows of one instance sums to that instance's power_w in the attribution CSV, to rounding.
// Frames without power have no rows. Timestamps are echoed as the trace had them.
class ProcessCsvWriter {
 public:
  static constexpr const char* kHeader =
      "timestamp,gpu_uuid,gpu_i_id,pid,process_name,power_w,static_w,dynamic_w,method,"
      "idle_policy\n";

  ProcessCsvWriter(std::ostream& out, const std::string& method, const std::string& idle_policy);
  ~ProcessCsvWriter();
  ProcessCsvWriter(const ProcessCsvWriter&) = delete;
  ProcessCsvWriter& operator=(const ProcessCsvWriter&) = delete;

  void write(const Frame& frame, const FrameProcessSplit& split);
  void flush();
  [[nodiscard]] std::size_t rows() const { return rows_; }

 private:
  void power_cells(double power_w, const double* static_w, const double* dynamic_w);

  std::ostream& out_;
  std::string row_suffix_;  // ",method,idle_policy\n"
  std::string prefix_;      // "timestamp,gpu_uuid," of the frame being written
  std::string buffer_;      // rows not yet written out
  std::size_t rows_ = 0;
};

}  // namespace migpower
