#include "export/attribution_csv.hpp"

#include <charconv>

namespace migpower {
namespace {

constexpr std::size_t kFlushBytes = 1 << 16;

}  // namespace

AttributionCsvWriter::AttributionCsvWriter(std::ostream& out, std::string method,
                                           std::string idle_policy)
    : out_(out), method_(std::move(method)), idle_policy_(std::move(idle_policy)) {
  buffer_.reserve(kFlushBytes + 4096);
  buffer_ += kHeader;
}

AttributionCsvWriter::~AttributionCsvWriter() {
  try {
    flush();
  } catch (...) {  // a destructor must not throw; callers that care call flush() themselves
  }
}

void AttributionCsvWriter::append_text(std::string_view text) {
  if (text.find_first_of(",\"\n") == std::string_view::npos) {
    buffer_ += text;
    return;
  }
  buffer_ += '"';
  for (char c : text) {
    if (c == '"') buffer_ += '"';
    buffer_ += c;
  }
  buffer_ += '"';
}

void AttributionCsvWriter::append_watts(double value) {
  char digits[64];
  // Milliwatts: the resolution of the card's own power reading.
  const auto result =
      std::to_chars(digits, digits + sizeof digits, value, std::chars_format::fixed, 3);
  buffer_.append(digits, result.ptr);
}

void AttributionCsvWriter::write(const Frame& frame, const FrameAttribution& attribution) {
  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    const InstanceSample& instance = frame.instances[i];
    append_text(frame.timestamp_text);
    buffer_ += ',';
    append_text(frame.gpu_uuid);
    buffer_ += ',';
    char id[16];
    buffer_.append(id, std::to_chars(id, id + sizeof id, instance.gpu_i_id).ptr);
    buffer_ += ',';
    append_text(instance.profile);
    buffer_ += ',';
    append_text(instance.workload);
    buffer_ += ',';
    if (attribution.has_power && i < attribution.shares.size()) {
      const InstanceShare& share = attribution.shares[i];
      append_watts(share.power_w);
      buffer_ += ',';
      append_watts(share.static_w);
      buffer_ += ',';
      append_watts(share.dynamic_w);
      buffer_ += ',';
      append_watts(attribution.measured_w);
      buffer_ += ',';
      append_watts(attribution.unattributed_w);
    } else {
      buffer_ += ",,,,";  // no measured power in this frame: nothing to split
    }
    buffer_ += ',';
    buffer_ += method_;
    buffer_ += ',';
    buffer_ += idle_policy_;
    buffer_ += '\n';
  }
  if (buffer_.size() >= kFlushBytes) {
    out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    buffer_.clear();
  }
}

void AttributionCsvWriter::flush() {
  out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.clear();
  out_.flush();
}

}  // namespace migpower
