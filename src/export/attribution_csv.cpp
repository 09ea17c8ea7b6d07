#include "export/attribution_csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "core/number_format.hpp"

namespace migpower {
namespace {

constexpr std::size_t kFlushBytes = 1 << 16;

bool needs_quotes(std::string_view text) {
  // One pass over the bytes: find_first_of with a set would call memchr per character.
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return c == ',' || c == '"' || c == '\n' || c == '\r'; });
}

char* put(char* p, std::string_view text) {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

// A CSV cell, quoted (RFC 4180) only when it has to be. Needs 2 * size + 2 bytes at most.
char* put_text(char* p, std::string_view text) {
  if (!needs_quotes(text)) return put(p, text);
  *p++ = '"';
  for (const char c : text) {
    if (c == '"') *p++ = '"';
    *p++ = c;
  }
  *p++ = '"';
  return p;
}

}  // namespace

AttributionCsvWriter::AttributionCsvWriter(std::ostream& out, const std::string& method,
                                           const std::string& idle_policy)
    : out_(out), row_suffix_("," + method + "," + idle_policy + "\n") {
  const std::string_view header = kHeader;
  size_ = static_cast<std::size_t>(put(reserve(kFlushBytes * 2), header) - buffer_.get());
}

AttributionCsvWriter::~AttributionCsvWriter() {
  try {
    flush();
  } catch (...) {  // a destructor must not throw; callers that care call flush() themselves
  }
}

void AttributionCsvWriter::write(const Frame& frame, const FrameAttribution& attribution) {
  // What every row of the frame repeats is formatted once.
  row_prefix_.resize(2 * (frame.timestamp_text.size() + frame.gpu_uuid.size()) + 6);
  char* p = row_prefix_.data();
  p = put_text(p, frame.timestamp_text);
  *p++ = ',';
  p = put_text(p, frame.gpu_uuid);
  *p++ = ',';
  row_prefix_.resize(static_cast<std::size_t>(p - row_prefix_.data()));

  card_suffix_.resize(2 * kMaxDoubleChars + 2);
  p = card_suffix_.data();
  if (attribution.has_power) {
    *p++ = ',';
    p = format_fixed3(p, attribution.measured_w);
    *p++ = ',';
    p = format_fixed3(p, attribution.unattributed_w);
  }
  card_suffix_.resize(static_cast<std::size_t>(p - card_suffix_.data()));

  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    const InstanceSample& instance = frame.instances[i];
    // Room for the longest row this instance can make; rows are written through a pointer.
    const std::size_t room = row_prefix_.size() + 2 * instance.profile.size() +
                             2 * instance.workload.size() + 5 * kMaxDoubleChars +
                             card_suffix_.size() + row_suffix_.size() + 8;
    p = reserve(room);
    p = put(p, row_prefix_);
    p = std::to_chars(p, p + kMaxDoubleChars, instance.gpu_i_id).ptr;
    *p++ = ',';
    p = put_text(p, instance.profile);
    *p++ = ',';
    p = put_text(p, instance.workload);
    if (attribution.has_power && i < attribution.shares.size()) {
      const InstanceShare& share = attribution.shares[i];
      *p++ = ',';
      p = format_fixed3(p, share.power_w);
      *p++ = ',';
      p = format_fixed3(p, share.static_w);
      *p++ = ',';
      p = format_fixed3(p, share.dynamic_w);
      *p++ = ',';
      if (std::isfinite(share.sd_w)) p = format_fixed3(p, share.sd_w);
      p = put(p, card_suffix_);
    } else {
      p = put(p, ",,,,,,");  // no measured power in this frame: nothing to split
    }
    p = put(p, row_suffix_);
    size_ = static_cast<std::size_t>(p - buffer_.get());
  }
  if (size_ >= kFlushBytes) write_out();
}

char* AttributionCsvWriter::reserve(std::size_t room) {
  if (size_ + room > capacity_) {
    const std::size_t capacity = std::max(2 * capacity_, size_ + room);
    auto grown = std::make_unique<char[]>(capacity);
    if (size_ > 0) std::memcpy(grown.get(), buffer_.get(), size_);  // the first has no buffer
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  return buffer_.get() + size_;
}

void AttributionCsvWriter::write_out() {
  out_.write(buffer_.get(), static_cast<std::streamsize>(size_));
  size_ = 0;
}

void AttributionCsvWriter::flush() {
  write_out();
  out_.flush();
}

}  // namespace migpower
