#include "trace/process_writer.hpp"

#include <charconv>

#include "core/csv_cell.hpp"
#include "core/number_format.hpp"

namespace migpower {
namespace {

constexpr std::size_t kDrainBytes = std::size_t{16} << 10;

template <typename Integer>
void append_integer(std::string& buffer, Integer value) {
  char digits[24];
  const auto result = std::to_chars(digits, digits + sizeof(digits), value);
  buffer.append(digits, result.ptr);
}

void append_number(std::string& buffer, const std::optional<double>& value) {
  if (!value) return;
  char digits[kMaxDoubleChars];
  buffer.append(digits, format_shortest(digits, *value));
}

}  // namespace

ProcessWriter::ProcessWriter(std::ostream& out, bool flush_each_frame)
    : out_(out), flush_each_frame_(flush_each_frame) {
  buffer_.append(kHeader);
  buffer_.push_back('\n');
  drain();
  if (flush_each_frame_) out_.flush();
}

ProcessWriter::~ProcessWriter() { drain(); }

void ProcessWriter::write(std::span<const ProcessSample> processes) {
  for (const ProcessSample& process : processes) {
    text(process.timestamp_text);
    buffer_.push_back(',');
    text(process.gpu_uuid);
    buffer_.push_back(',');
    if (process.gpu_i_id) append_integer(buffer_, *process.gpu_i_id);
    buffer_.push_back(',');
    append_integer(buffer_, process.pid);
    buffer_.push_back(',');
    text(process.name);
    buffer_.push_back(',');
    append_number(buffer_, process.sm_util_pct);
    buffer_.push_back(',');
    append_number(buffer_, process.mem_util_pct);
    buffer_.push_back(',');
    if (process.used_memory_bytes) append_integer(buffer_, *process.used_memory_bytes);
    buffer_.push_back('\n');
    ++rows_;
  }
  if (flush_each_frame_) {
    flush();
  } else if (buffer_.size() >= kDrainBytes) {
    drain();
  }
}

void ProcessWriter::flush() {
  drain();
  out_.flush();
}

// Process names are chosen by whoever started the process, so commas, quotes and line breaks
// may appear: the cell is quoted when it must be.
void ProcessWriter::text(std::string_view value) { append_csv_cell(buffer_, value); }

void ProcessWriter::drain() {
  if (buffer_.empty()) return;
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
}

}  // namespace migpower
