#pragma once

#include <memory>
#include <ostream>
#include <string>

#include "core/frame.hpp"
#include "core/shares.hpp"

namespace migpower {

// Writes attributed power as CSV: one row per instance per frame. Timestamps are echoed as the
// input had them. power_sd_w (one standard deviation of power_w) is empty for methods that give
// no uncertainty. Buffers internally; this is the hot path of `migpower attribute`, so numbers
// are formatted with std::to_chars and nothing is allocated per row.
class AttributionCsvWriter {
 public:
  static constexpr const char* kHeader =
      "timestamp,gpu_uuid,gpu_i_id,gpu_i_profile,workload,power_w,static_w,dynamic_w,"
      "power_sd_w,card_power_w,unattributed_w,method,idle_policy\n";

  AttributionCsvWriter(std::ostream& out, const std::string& method,
                       const std::string& idle_policy);
  ~AttributionCsvWriter();
  AttributionCsvWriter(const AttributionCsvWriter&) = delete;
  AttributionCsvWriter& operator=(const AttributionCsvWriter&) = delete;

  void write(const Frame& frame, const FrameAttribution& attribution);
  void flush();

 private:
  char* reserve(std::size_t room);  // where the next `room` bytes may be written
  void write_out();

  std::ostream& out_;
  std::string row_suffix_;   // ",method,idle_policy\n"
  std::string row_prefix_;   // "timestamp,gpu_uuid," of the frame being written
  std::string card_suffix_;  // ",card_power_w,unattributed_w" of the frame being written
  // Rows are written through a pointer into this buffer, then out in blocks of ~64 KiB.
  std::unique_ptr<char[]> buffer_;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
};

}  // namespace migpower
