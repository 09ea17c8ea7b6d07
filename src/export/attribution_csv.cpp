#include "export/attribution_csv.hpp"

#include <algorithm>
#include <charconv>

#include "core/number_format.hpp"

namespace migpower {
namespace {

constexpr std::size_t kFlushBytes = 1 << 16;

}  // namespace

AttributionCsvWriter::AttributionCsvWriter(std::ostream& out, std::string method,
                                           std::string idle_policy)
    : out_(out), row_suffix_("," + method + "," + idle_policy + "\n") {
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
  // One pass over the bytes: find_first_of with a set would call memchr per character.
  const bool plain = std::none_of(text.begin(), text.end(),
                                  [](char c) { return c == ',' || c == '"' || c == '\n'; });
  if (plain) {
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
  char digits[kMaxDoubleChars];
  // Milliwatts: the resolution of the card's own power reading.
  buffer_.append(digits, format_fixed3(digits, value));
}

void AttributionCsvWriter::write(const Frame& frame, const FrameAttribution& attribution) {
  // What every row of the frame repeats is formatted once.
  const std::size_t start = buffer_.size();
  append_text(frame.timestamp_text);
  buffer_ += ',';
  append_text(frame.gpu_uuid);
  buffer_ += ',';
  row_prefix_.assign(buffer_, start);
  buffer_.resize(start);
  card_suffix_.clear();
  if (attribution.has_power) {
    char digits[kMaxDoubleChars];
    card_suffix_ += ',';
    card_suffix_.append(digits, format_fixed3(digits, attribution.measured_w));
    card_suffix_ += ',';
    card_suffix_.append(digits, format_fixed3(digits, attribution.unattributed_w));
  }
  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    const InstanceSample& instance = frame.instances[i];
    buffer_ += row_prefix_;
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
      buffer_ += card_suffix_;
    } else {
      buffer_ += ",,,,";  // no measured power in this frame: nothing to split
    }
    buffer_ += row_suffix_;
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
