#pragma once

#include <array>
#include <cstddef>
#include <fstream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/process_sample.hpp"

namespace migpower {

// Reads the per-process side file of `migpower record --processes` (docs/live-telemetry.md,
// "Per-process utilization"; written by ProcessWriter) alongside a trace, frame by frame.
//
// The header is matched by name, in any order; timestamp, gpu_uuid and pid are required, the
// other known columns (gpu_i_id, process_name, sm_util_pct, mem_util_pct, used_memory_bytes) are
// optional, unknown ones ignored. Bad input throws LocatedError naming file, line and column:
// a cell that is not a number, utilization outside 0..100, a timestamp earlier than the row
// before, the same (gpu_uuid, gpu_i_id, pid) twice at one timestamp.
//
// Streaming in bounded memory: it holds only the rows of one timestamp (a group: rows whose
// timestamps are equal to within 1e-6 s), for a merge join with frames that come in time order.
class ProcessReader {
 public:
  // Rows whose timestamps differ by no more than this belong to the same frame.
  static constexpr double kSameTimeS = 1e-6;

  // Reads the header. Throws InputError if the file cannot be opened or the header is bad.
  explicit ProcessReader(std::string path);

  // The rows of the frame of `gpu_uuid` at `timestamp_s`, sorted by GPU instance then pid;
  // empty when the file has none. Call with frames in time order (of all GPUs together, as a
  // trace gives them): groups of rows older than `timestamp_s` are passed over, and those of
  // their rows no call took are counted as unmatched. The span is valid until the next call.
  std::span<const ProcessSample> at(double timestamp_s, std::string_view gpu_uuid);

  // Reads (and checks) the rest of the file, counting its rows as unmatched: after the last
  // frame, so that the counts below cover the whole file.
  void finish();

  // Rows per GPU, for telling which GPUs of the file the trace never had. At most the first
  // kMaxGpus GPUs are listed.
  struct GpuRows {
    std::string gpu_uuid;
    std::size_t rows = 0;     // rows read so far
    std::size_t matched = 0;  // of them, rows that at() returned
  };
  static constexpr std::size_t kMaxGpus = 256;
  [[nodiscard]] const std::vector<GpuRows>& gpus() const { return gpus_; }

  [[nodiscard]] std::size_t rows_read() const { return rows_read_; }
  [[nodiscard]] std::size_t rows_matched() const { return rows_matched_; }
  // Rows passed over without being returned: no frame asked for their GPU at their time.
  [[nodiscard]] std::size_t rows_unmatched() const { return rows_unmatched_; }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  enum Column : unsigned char {
    kTimestamp,
    kUuid,
    kInstance,
    kPid,
    kName,
    kSmUtil,
    kMemUtil,
    kMemory,
    kColumnCount
  };
  static constexpr int kAbsent = -1;

  bool next_record(std::string& record);
  void read_header();
  bool read_row(ProcessSample& out, std::size_t& line);
  void parse_row(std::string_view record, ProcessSample& out);
  bool load_group();
  void retire_group();
  GpuRows* gpu_rows(std::string_view uuid);
  [[nodiscard]] std::string_view cell(Column column) const;
  [[nodiscard]] std::optional<double> percent(Column column) const;
  [[noreturn]] void fail(std::size_t column, const std::string& message) const;
  [[noreturn]] void fail_at(std::size_t line, Column column, const std::string& message) const;

  std::string path_;
  std::ifstream in_;
  std::size_t lines_consumed_ = 0;
  std::size_t record_line_ = 0;  // the line where the current record starts
  std::string line_;
  std::string record_;

  std::vector<std::string> names_;           // per column of the file
  std::array<int, kColumnCount> columns_{};  // per field: its column, or kAbsent
  std::vector<std::string_view> cells_;      // the current record's
  std::string scratch_;

  // The current group, sorted by (gpu_uuid, gpu_i_id, pid), with each row's line and whether a
  // call of at() took it; and the first row of the next group, read ahead.
  std::vector<ProcessSample> group_;
  std::vector<std::size_t> group_lines_;
  std::vector<unsigned char> group_taken_;
  bool have_group_ = false;
  double group_time_s_ = 0.0;
  ProcessSample ahead_;
  std::size_t ahead_line_ = 0;
  bool have_ahead_ = false;
  bool finished_ = false;

  std::vector<GpuRows> gpus_;
  std::size_t rows_read_ = 0;
  std::size_t rows_matched_ = 0;
  std::size_t rows_unmatched_ = 0;
};

}  // namespace migpower
