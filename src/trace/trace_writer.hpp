#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "core/frame.hpp"

namespace migpower {

// Writes frames as a CSV trace (docs/trace-format.md) that TraceReader reads back exactly.
class TraceWriter : public FrameSink {
 public:
  // Writes the header on construction.
  explicit TraceWriter(std::ostream& out, bool flush_each_frame = false);
  ~TraceWriter() override;
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // One card row, then one row per instance.
  void write(const Frame& frame) override;
  void flush() override;

 private:
  void text(std::string_view value);
  void number(double value);
  void number(const std::optional<double>& value);
  void drain();

  std::ostream& out_;
  bool flush_each_frame_;
  std::string buffer_;  // rows not yet handed to the stream
  std::string prefix_;  // "timestamp,gpu_uuid," of the frame being written
};

}  // namespace migpower
