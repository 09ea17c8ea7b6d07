#include "export/process_csv.hpp"

#include <charconv>

#include "core/csv_cell.hpp"
#include "core/number_format.hpp"

namespace migpower {
namespace {

constexpr std::size_t kDrainBytes = std::size_t{64} << 10;

// Below this the unassigned watts are rounding left over from splitting a share, not power
// that no process held.
constexpr double kUnassignedFloorW = 5e-4;

void append_fixed3(std::string& out, double value) {
  char digits[kMaxDoubleChars];
  out.append(digits, format_fixed3(digits, value));
}

template <typename Integer>
void append_integer(std::string& out, Integer value) {
  char digits[24];
  out.append(digits, std::to_chars(digits, digits + sizeof(digits), value).ptr);
}

}  // namespace

ProcessCsvWriter::ProcessCsvWriter(std::ostream& out, const std::string& method,
                                   const std::string& idle_policy)
    : out_(out), row_suffix_("," + method + "," + idle_policy + "\n") {
  buffer_.append(kHeader);
}

ProcessCsvWriter::~ProcessCsvWriter() {
  try {
    flush();
  } catch (...) {  // a destructor must not throw; callers that care call flush() themselves
  }
}

void ProcessCsvWriter::power_cells(double power_w, const double* static_w,
                                   const double* dynamic_w) {
  append_fixed3(buffer_, power_w);
  buffer_.push_back(',');
  if (static_w != nullptr) append_fixed3(buffer_, *static_w);
  buffer_.push_back(',');
  if (dynamic_w != nullptr) append_fixed3(buffer_, *dynamic_w);
  buffer_.append(row_suffix_);
  ++rows_;
}

void ProcessCsvWriter::write(const Frame& frame, const FrameProcessSplit& split) {
  if (!split.has_power) return;
  prefix_.clear();
  append_csv_cell(prefix_, frame.timestamp_text);
  prefix_.push_back(',');
  append_csv_cell(prefix_, frame.gpu_uuid);
  prefix_.push_back(',');
  for (const ProcessShare& process : split.processes) {
    buffer_.append(prefix_);
    append_integer(buffer_, process.gpu_i_id);
    buffer_.push_back(',');
    append_integer(buffer_, process.pid);
    buffer_.push_back(',');
    append_csv_cell(buffer_, process.name);
    buffer_.push_back(',');
    power_cells(process.power_w(), &process.static_w, &process.dynamic_w);
  }
  for (const InstanceProcessSplit& instance : split.instances) {
    if (instance.unassigned_w < kUnassignedFloorW) continue;
    buffer_.append(prefix_);
    append_integer(buffer_, instance.gpu_i_id);
    buffer_.append(",,(no process),");
    power_cells(instance.unassigned_w, nullptr, nullptr);
  }
  if (buffer_.size() >= kDrainBytes) flush();
}

void ProcessCsvWriter::flush() {
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
  out_.flush();
}

}  // namespace migpower
