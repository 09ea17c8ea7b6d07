#pragma once

#include <array>
#include <cstddef>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/frame.hpp"

namespace migpower {

struct NvidiaSmiCsvOptions {
  // nvidia-smi prints local time without a zone: this is its offset from UTC in seconds
  // (+3600 for UTC+01:00), subtracted to get UTC.
  double utc_offset_s = 0.0;
};

// Card-level frames from a log of `nvidia-smi --query-gpu=timestamp,uuid,name,power.draw,
// clocks.sm,clocks.mem,temperature.gpu,power.limit --format=csv[,nounits] -l 1`.
// Header names are matched as nvidia-smi prints them, with or without units ("power.draw [W]")
// and under their long or short names (clocks.sm / clocks.current.sm); unknown columns are
// ignored. Values may carry units ("62.35 W"); "[N/A]", "N/A", "[Not Supported]" and other
// bracketed words are missing values. A card is named by uuid, else pci.bus_id, else index.
// nvidia-smi sees no MIG instance power, so frames have no instances. A header repeated inside
// the file (logs appended by several runs) starts a new section. Errors are LocatedErrors naming
// the file, line and column.
class NvidiaSmiCsvSource : public FrameSource {
 public:
  explicit NvidiaSmiCsvSource(std::string path, NvidiaSmiCsvOptions options = {});

  bool next(Frame& out) override;

  [[nodiscard]] std::size_t rows_read() const { return rows_read_; }
  // Rows that repeated a card's previous timestamp (nvidia-smi -lms with coarse clocks).
  [[nodiscard]] std::size_t duplicates_skipped() const { return duplicates_; }

 private:
  enum Column : unsigned char {
    kTimestamp,
    kUuid,
    kBusId,
    kIndex,
    kName,
    kPower,
    kPowerAverage,
    kPowerInstant,
    kSmClock,
    kMemClock,
    kTemperature,
    kPowerLimit,
    kEnforcedLimit,
    kColumnCount,
  };
  static constexpr int kAbsent = -1;

  bool read_line(std::string& line);
  void read_header(std::string_view line);
  void split(std::string_view line);
  [[nodiscard]] std::string_view cell(Column column) const;
  [[nodiscard]] std::optional<double> number(Column column) const;
  [[nodiscard]] double timestamp() const;
  [[noreturn]] void fail(Column column, const std::string& message) const;

  std::string path_;
  NvidiaSmiCsvOptions options_;
  std::ifstream in_;
  std::size_t line_ = 0;
  std::vector<std::string> header_;
  std::array<int, kColumnCount> column_{};
  std::vector<std::string_view> cells_;
  std::string row_;
  std::unordered_map<std::string, double> last_time_;  // per card
  double last_row_time_ = 0.0;
  bool have_row_time_ = false;
  std::size_t rows_read_ = 0;
  std::size_t duplicates_ = 0;
};

// Seconds east of UTC from "+02:00", "-0530", "Z" or "UTC"; nullopt otherwise.
[[nodiscard]] std::optional<double> parse_utc_offset(std::string_view text);

}  // namespace migpower
