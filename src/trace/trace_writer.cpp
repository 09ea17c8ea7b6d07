#include "trace/trace_writer.hpp"

#include <charconv>
#include <system_error>

#include "core/csv_cell.hpp"
#include "core/fields.hpp"
#include "core/number_format.hpp"

namespace migpower {
namespace {

constexpr std::size_t kDrainBytes = std::size_t{64} << 10;
// Card columns after the key columns, then instance columns (the order of the header).
constexpr std::size_t kCardValueColumns = 6;

}  // namespace

TraceWriter::TraceWriter(std::ostream& out, bool flush_each_frame)
    : out_(out), flush_each_frame_(flush_each_frame) {
  buffer_.reserve(kDrainBytes + 4096);
  for (const std::string_view name :
       {field::kTimestamp, field::kGpuUuid, field::kGpuModel, field::kGpuInstanceId,
        field::kGpuInstanceProfile, field::kWorkload, field::kTruthPower, field::kPower,
        field::kEnergy, field::kSmClock, field::kMemClock, field::kGpuTemp, field::kPowerLimit}) {
    buffer_.append(name);
    buffer_.push_back(',');
  }
  for (const std::string_view name : kActivityFieldNames) {
    buffer_.append(name);
    buffer_.push_back(',');
  }
  buffer_.append(field::kFbUsed);
  buffer_.push_back('\n');
  drain();
  if (flush_each_frame_) out_.flush();
}

TraceWriter::~TraceWriter() { drain(); }

void TraceWriter::write(const Frame& frame) {
  // "timestamp,gpu_uuid," starts every row of the frame: format it once.
  const std::size_t prefix_begin = buffer_.size();
  if (!frame.timestamp_text.empty()) {
    text(frame.timestamp_text);
  } else {
    char digits[64];
    const auto result = std::to_chars(digits, digits + sizeof(digits), frame.timestamp_s,
                                      std::chars_format::fixed, 3);
    buffer_.append(digits, result.ptr);
  }
  buffer_.push_back(',');
  text(frame.gpu_uuid);
  buffer_.push_back(',');
  prefix_.assign(buffer_, prefix_begin);

  text(frame.gpu_model);
  buffer_.append(",,,,");  // gpu_i_id, gpu_i_profile, workload, truth_power_w
  for (const auto* value : {&frame.power_w, &frame.energy_mj, &frame.sm_clock_mhz,
                            &frame.mem_clock_mhz, &frame.temperature_c, &frame.power_limit_w}) {
    buffer_.push_back(',');
    number(*value);
  }
  buffer_.append(kActivityCount + 1, ',');  // activity and fb_used are empty on the card row
  buffer_.push_back('\n');

  for (const InstanceSample& sample : frame.instances) {
    buffer_.append(prefix_);
    buffer_.push_back(',');  // gpu_model is on the card row only
    char id[16];
    buffer_.append(id, std::to_chars(id, id + sizeof(id), sample.gpu_i_id).ptr);
    buffer_.push_back(',');
    text(sample.profile);
    buffer_.push_back(',');
    text(sample.workload);
    buffer_.push_back(',');
    number(sample.truth_power_w);
    buffer_.append(kCardValueColumns, ',');
    for (const auto& value : sample.activity) {
      buffer_.push_back(',');
      number(value);
    }
    buffer_.push_back(',');
    number(sample.fb_used_mib);
    buffer_.push_back('\n');
  }

  if (flush_each_frame_) {
    flush();
  } else if (buffer_.size() >= kDrainBytes) {
    drain();
  }
}

void TraceWriter::flush() {
  drain();
  out_.flush();
}

void TraceWriter::drain() {
  if (buffer_.empty()) return;
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
}

void TraceWriter::text(std::string_view value) { append_csv_cell(buffer_, value); }

// Shortest text that reads back as the same double.
void TraceWriter::number(double value) {
  char digits[kMaxDoubleChars];
  buffer_.append(digits, format_shortest(digits, value));
}

void TraceWriter::number(const std::optional<double>& value) {
  if (value) number(*value);
}

}  // namespace migpower
