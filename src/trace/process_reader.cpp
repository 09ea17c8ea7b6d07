#include "trace/process_reader.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <numeric>
#include <tuple>
#include <utility>

#include "core/error.hpp"
#include "core/parse_number.hpp"
#include "trace/csv_split.hpp"

namespace migpower {
namespace {

constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
// A record longer than this is not a process row but, most likely, an unclosed quote that would
// swallow the rest of the file.
constexpr std::size_t kMaxRecordBytes = std::size_t{1} << 20;

constexpr std::array<std::string_view, 8> kColumnNames = {
    "timestamp",    "gpu_uuid",    "gpu_i_id",     "pid",
    "process_name", "sm_util_pct", "mem_util_pct", "used_memory_bytes"};

// The key rows of one frame are sorted and checked by.
auto row_key(const ProcessSample& row) {
  return std::tuple<std::string_view, int, unsigned>(row.gpu_uuid, row.gpu_i_id.value_or(-1),
                                                     row.pid);
}

}  // namespace

ProcessReader::ProcessReader(std::string path) : path_(std::move(path)) {
  in_.open(path_, std::ios::binary);
  if (!in_) {
    throw InputError("cannot open process file '" + path_ + "': " + std::strerror(errno));
  }
  read_header();
}

// One CSV record, joining the lines of a quoted cell that holds line breaks; false at the end.
bool ProcessReader::next_record(std::string& record) {
  record.clear();
  bool inside_quotes = false;
  bool started = false;
  while (std::getline(in_, line_)) {
    ++lines_consumed_;
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (!started) {
      if (line_.empty()) continue;  // a blank line is no record
      record_line_ = lines_consumed_;
      started = true;
    } else {
      record.push_back('\n');
    }
    record.append(line_);
    // Doubled quotes inside a quoted cell flip twice: the parity says whether one is open.
    if (std::count(line_.begin(), line_.end(), '"') % 2 != 0) inside_quotes = !inside_quotes;
    if (!inside_quotes) return true;
    if (record.size() > kMaxRecordBytes) {
      throw LocatedError(path_, record_line_, "",
                         "record longer than 1 MiB: a quoted cell is never closed");
    }
  }
  if (in_.bad()) throw InputError("cannot read process file '" + path_ + "'");
  if (started) {
    throw LocatedError(path_, record_line_, "", "a quoted cell is never closed");
  }
  return false;
}

void ProcessReader::read_header() {
  if (!next_record(record_)) throw InputError(path_ + ": empty process file, no header");
  std::string_view header = record_;
  if (header.starts_with(kUtf8Bom)) header.remove_prefix(kUtf8Bom.size());
  cells_.resize(header.size() + 1);  // a cell per comma, at most
  const CsvSplit split = split_csv_record(header, cells_, scratch_);
  if (!split.error.empty()) {
    throw LocatedError(path_, record_line_, "", "header: " + std::string(split.error));
  }
  columns_.fill(kAbsent);
  for (std::size_t c = 0; c < split.cells; ++c) {
    const std::string_view name = cells_[c];
    if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
      throw LocatedError(path_, record_line_, std::string(name), "duplicate column name");
    }
    names_.emplace_back(name);
    const auto* const known = std::find(kColumnNames.begin(), kColumnNames.end(), name);
    if (known != kColumnNames.end()) {
      columns_[static_cast<std::size_t>(known - kColumnNames.begin())] = static_cast<int>(c);
    }
  }
  for (const Column required : {kTimestamp, kUuid, kPid}) {
    if (columns_[required] == kAbsent) {
      throw LocatedError(path_, record_line_, "",
                         "the header has no " + std::string(kColumnNames[required]) +
                             " column (a process file starts with " +
                             "timestamp,gpu_uuid,gpu_i_id,pid,...)");
    }
  }
  cells_.resize(names_.size() + 1);  // one more: a record with too many cells is seen
}

std::string_view ProcessReader::cell(Column column) const {
  const int index = columns_[column];
  return index == kAbsent ? std::string_view() : cells_[static_cast<std::size_t>(index)];
}

std::optional<double> ProcessReader::percent(Column column) const {
  const std::string_view text = cell(column);
  if (text.empty()) return std::nullopt;  // no sample
  const auto index = static_cast<std::size_t>(columns_[column]);
  const auto value = parse_double(text);
  if (!value) fail(index, quoted(text) + " is not a number");
  if (std::isnan(*value)) fail(index, "NaN is not a valid value");
  if (!(*value >= 0.0 && *value <= 100.0)) fail(index, quoted(text) + " is outside 0..100");
  return value;
}

void ProcessReader::parse_row(std::string_view record, ProcessSample& out) {
  const CsvSplit split = split_csv_record(record, cells_, scratch_);
  if (!split.error.empty()) fail(split.error_cell, std::string(split.error));
  if (split.cells != names_.size()) {
    fail(std::min(split.cells, names_.size()), "expected " + std::to_string(names_.size()) +
                                                   " cells as in the header, found " +
                                                   std::to_string(split.cells));
  }
  const auto column = [&](Column field) { return static_cast<std::size_t>(columns_[field]); };

  const std::string_view timestamp = cell(kTimestamp);
  if (timestamp.empty()) fail(column(kTimestamp), "empty timestamp");
  const auto seconds = parse_double(timestamp);
  if (!seconds) fail(column(kTimestamp), quoted(timestamp) + " is not a number");
  if (!std::isfinite(*seconds)) fail(column(kTimestamp), quoted(timestamp) + " is not finite");
  out.timestamp_s = *seconds;
  out.timestamp_text.assign(timestamp);

  const std::string_view uuid = cell(kUuid);
  if (uuid.empty()) fail(column(kUuid), "empty gpu_uuid");
  out.gpu_uuid.assign(uuid);

  out.gpu_i_id.reset();
  if (const std::string_view id = cell(kInstance); !id.empty()) {
    const auto parsed = parse_int(id);
    if (!parsed || *parsed < 0 || *parsed > INT_MAX) {
      fail(column(kInstance), quoted(id) + " is not a non-negative integer");
    }
    out.gpu_i_id = static_cast<int>(*parsed);
  }

  const std::string_view pid = cell(kPid);
  if (pid.empty()) fail(column(kPid), "empty pid");
  const auto parsed_pid = parse_int(pid);
  if (!parsed_pid || *parsed_pid < 0 || *parsed_pid > UINT_MAX) {
    fail(column(kPid), quoted(pid) + " is not a process id (a non-negative integer)");
  }
  out.pid = static_cast<unsigned>(*parsed_pid);

  out.name.assign(cell(kName));
  out.sm_util_pct = percent(kSmUtil);
  out.mem_util_pct = percent(kMemUtil);

  out.used_memory_bytes.reset();
  if (const std::string_view bytes = cell(kMemory); !bytes.empty()) {
    const auto parsed = parse_int(bytes);
    if (!parsed || *parsed < 0) {
      fail(column(kMemory), quoted(bytes) + " is not a non-negative integer");
    }
    out.used_memory_bytes = static_cast<unsigned long long>(*parsed);
  }
}

bool ProcessReader::read_row(ProcessSample& out, std::size_t& line) {
  if (!next_record(record_)) return false;
  parse_row(record_, out);
  line = record_line_;
  ++rows_read_;
  if (GpuRows* gpu = gpu_rows(out.gpu_uuid)) ++gpu->rows;
  return true;
}

ProcessReader::GpuRows* ProcessReader::gpu_rows(std::string_view uuid) {
  for (GpuRows& gpu : gpus_) {
    if (gpu.gpu_uuid == uuid) return &gpu;
  }
  if (gpus_.size() >= kMaxGpus) return nullptr;  // bounded, whatever the file holds
  gpus_.push_back({std::string(uuid), 0, 0});
  return &gpus_.back();
}

// Reads the rows of the next timestamp into group_; false at the end of the file.
bool ProcessReader::load_group() {
  group_.clear();
  group_lines_.clear();
  if (!have_ahead_) {
    if (finished_ || !read_row(ahead_, ahead_line_)) {
      finished_ = true;
      return false;
    }
  }
  have_ahead_ = false;
  group_time_s_ = ahead_.timestamp_s;
  group_.push_back(std::move(ahead_));
  group_lines_.push_back(ahead_line_);
  ProcessSample row;
  std::size_t line = 0;
  while (read_row(row, line)) {
    if (std::abs(row.timestamp_s - group_time_s_) <= kSameTimeS) {
      group_.push_back(std::move(row));
      group_lines_.push_back(line);
      continue;
    }
    if (row.timestamp_s < group_time_s_) {
      fail_at(line, kTimestamp,
              "time goes backwards: " + row.timestamp_text +
                  " is earlier than the previous row's timestamp " + group_.back().timestamp_text);
    }
    ahead_ = std::move(row);
    ahead_line_ = line;
    have_ahead_ = true;
    break;
  }
  if (!have_ahead_) finished_ = true;

  // The writer sorts each card's rows already; rows of other tools are sorted here.
  const auto before = [&](std::size_t a, std::size_t b) {
    return row_key(group_[a]) < row_key(group_[b]);
  };
  std::vector<std::size_t> order(group_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (!std::is_sorted(order.begin(), order.end(), before)) {
    std::stable_sort(order.begin(), order.end(), before);
    std::vector<ProcessSample> rows;
    std::vector<std::size_t> lines;
    rows.reserve(group_.size());
    lines.reserve(group_.size());
    for (const std::size_t i : order) {
      rows.push_back(std::move(group_[i]));
      lines.push_back(group_lines_[i]);
    }
    group_ = std::move(rows);
    group_lines_ = std::move(lines);
  }
  for (std::size_t i = 1; i < group_.size(); ++i) {
    if (row_key(group_[i - 1]) != row_key(group_[i])) continue;
    const ProcessSample& row = group_[i];
    std::string where = "GPU " + row.gpu_uuid;
    if (row.gpu_i_id) where += " instance " + std::to_string(*row.gpu_i_id);
    fail_at(std::max(group_lines_[i - 1], group_lines_[i]), kPid,
            "pid " + std::to_string(row.pid) + " of " + where + " appears twice at timestamp " +
                row.timestamp_text + " (lines " + std::to_string(group_lines_[i - 1]) + " and " +
                std::to_string(group_lines_[i]) + ")");
  }
  group_taken_.assign(group_.size(), 0);
  have_group_ = true;
  return true;
}

// Drops the current group, counting the rows no frame took.
void ProcessReader::retire_group() {
  if (!have_group_) return;
  rows_unmatched_ += static_cast<std::size_t>(
      std::count(group_taken_.begin(), group_taken_.end(), static_cast<unsigned char>(0)));
  have_group_ = false;
  group_.clear();
  group_lines_.clear();
  group_taken_.clear();
}

std::span<const ProcessSample> ProcessReader::at(double timestamp_s, std::string_view gpu_uuid) {
  while (true) {
    if (!have_group_ && !load_group()) return {};
    if (group_time_s_ < timestamp_s - kSameTimeS) {  // no frame asked for it: passed over
      retire_group();
      continue;
    }
    if (group_time_s_ > timestamp_s + kSameTimeS) return {};  // a later frame's
    break;
  }
  const auto first = std::partition_point(group_.begin(), group_.end(), [&](const auto& row) {
    return std::string_view(row.gpu_uuid) < gpu_uuid;
  });
  const auto last = std::partition_point(first, group_.end(), [&](const auto& row) {
    return std::string_view(row.gpu_uuid) == gpu_uuid;
  });
  const auto begin = static_cast<std::size_t>(first - group_.begin());
  const auto end = static_cast<std::size_t>(last - group_.begin());
  std::size_t newly = 0;
  for (std::size_t i = begin; i < end; ++i) {
    if (group_taken_[i] == 0) ++newly;
    group_taken_[i] = 1;
  }
  if (newly > 0) {
    rows_matched_ += newly;
    if (GpuRows* gpu = gpu_rows(gpu_uuid)) gpu->matched += newly;
  }
  return {group_.data() + begin, end - begin};
}

void ProcessReader::finish() {
  retire_group();
  while (load_group()) retire_group();
}

void ProcessReader::fail(std::size_t column, const std::string& message) const {
  std::string label =
      column < names_.size() ? names_[column] : "cell " + std::to_string(column + 1);
  throw LocatedError(path_, record_line_, std::move(label), message);
}

void ProcessReader::fail_at(std::size_t line, Column column, const std::string& message) const {
  throw LocatedError(path_, line, names_[static_cast<std::size_t>(columns_[column])], message);
}

}  // namespace migpower
