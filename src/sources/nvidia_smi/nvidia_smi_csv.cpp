#include "sources/nvidia_smi/nvidia_smi_csv.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/parse_number.hpp"
#include "trace/time_text.hpp"

namespace migpower {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

// "power.draw [W]" -> "power.draw"; case as nvidia-smi prints it (lower).
std::string column_key(std::string_view header) {
  header = trim(header);
  const std::size_t unit = header.find(" [");
  if (unit != std::string_view::npos) header = trim(header.substr(0, unit));
  std::string key(header);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

bool is_unit_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '%'; }

// nvidia-smi's local time "2026/11/01 10:00:00.123" (or with '-' in the date), as UTC seconds
// before the offset is applied.
std::optional<double> parse_smi_time(std::string_view text) {
  if (text.size() < 19) return std::nullopt;
  const auto two = [&](std::size_t at) -> std::optional<int> {
    if (text[at] < '0' || text[at] > '9' || text[at + 1] < '0' || text[at + 1] > '9') {
      return std::nullopt;
    }
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
  };
  const auto year_hi = two(0);
  const auto year_lo = two(2);
  const auto month = two(5);
  const auto day = two(8);
  const auto hour = two(11);
  const auto minute = two(14);
  const auto second = two(17);
  const bool separators = (text[4] == '/' || text[4] == '-') && text[7] == text[4] &&
                          text[10] == ' ' && text[13] == ':' && text[16] == ':';
  if (!separators || !year_hi || !year_lo || !month || !day || !hour || !minute || !second ||
      *month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || *minute > 59 ||
      *second > 60) {
    return std::nullopt;
  }
  double fraction = 0.0;
  if (text.size() > 19) {
    if (text[19] != '.' || text.size() == 20) return std::nullopt;
    const auto parsed = parse_double(text.substr(19));
    if (!parsed) return std::nullopt;
    fraction = *parsed;
  }
  return utc_seconds(*year_hi * 100 + *year_lo, *month, *day, *hour, *minute, *second + fraction);
}

}  // namespace

std::optional<double> parse_utc_offset(std::string_view text) {
  if (text == "Z" || text == "z" || text == "UTC" || text == "utc") return 0.0;
  // "+HH:MM" or "+HHMM".
  const bool colon = text.size() == 6;
  if ((text.size() != 5 && !colon) || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  if (colon && text[3] != ':') return std::nullopt;
  const std::string_view hours = text.substr(1, 2);
  const std::string_view minutes = text.substr(colon ? 4 : 3, 2);
  for (const char c : std::string(hours) + std::string(minutes)) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const int h = (hours[0] - '0') * 10 + (hours[1] - '0');
  const int m = (minutes[0] - '0') * 10 + (minutes[1] - '0');
  if (h > 23 || m > 59) return std::nullopt;
  const double seconds = h * 3600.0 + m * 60.0;
  return text[0] == '-' ? -seconds : seconds;
}

NvidiaSmiCsvSource::NvidiaSmiCsvSource(std::string path, NvidiaSmiCsvOptions options)
    : path_(std::move(path)), options_(options), in_(path_, std::ios::binary) {
  if (!in_) throw InputError(path_ + ": cannot open");
  std::string line;
  while (read_line(line)) {
    if (!trim(line).empty()) {
      read_header(line);
      return;
    }
  }
  throw InputError(path_ + ": empty file (expected nvidia-smi --format=csv output)");
}

bool NvidiaSmiCsvSource::read_line(std::string& line) {
  if (!std::getline(in_, line)) return false;
  ++line_;
  if (line_ == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);  // UTF-8 BOM
  return true;
}

void NvidiaSmiCsvSource::read_header(std::string_view line) {
  header_.clear();
  column_.fill(kAbsent);
  split(line);
  struct Name {
    std::string_view key;
    Column column;
  };
  static constexpr Name kNames[] = {
      {"timestamp", kTimestamp},
      {"uuid", kUuid},
      {"gpu_uuid", kUuid},
      {"pci.bus_id", kBusId},
      {"gpu_bus_id", kBusId},
      {"index", kIndex},
      {"name", kName},
      {"gpu_name", kName},
      {"power.draw", kPower},
      {"power.draw.average", kPowerAverage},
      {"power.draw.instant", kPowerInstant},
      {"clocks.sm", kSmClock},
      {"clocks.current.sm", kSmClock},
      {"clocks.mem", kMemClock},
      {"clocks.current.memory", kMemClock},
      {"temperature.gpu", kTemperature},
      {"power.limit", kPowerLimit},
      {"enforced.power.limit", kEnforcedLimit},
  };
  for (std::size_t i = 0; i < cells_.size(); ++i) {
    header_.push_back(column_key(cells_[i]));
    for (const Name& name : kNames) {
      if (header_.back() != name.key) continue;
      if (column_[name.column] != kAbsent) {
        throw LocatedError(path_, line_, header_.back(), "the column appears twice");
      }
      column_[name.column] = static_cast<int>(i);
    }
  }
  if (column_[kTimestamp] == kAbsent) {
    throw LocatedError(path_, line_, "",
                       "no timestamp column: not nvidia-smi --query-gpu=timestamp,... "
                       "--format=csv output (with its header)");
  }
  if (column_[kUuid] == kAbsent && column_[kBusId] == kAbsent && column_[kIndex] == kAbsent) {
    throw LocatedError(path_, line_, "",
                       "no uuid, pci.bus_id or index column: the GPUs cannot be told apart");
  }
}

void NvidiaSmiCsvSource::split(std::string_view line) {
  cells_.clear();
  while (true) {
    const std::size_t comma = line.find(',');
    cells_.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return;
    line.remove_prefix(comma + 1);
  }
}

std::string_view NvidiaSmiCsvSource::cell(Column column) const {
  const int index = column_[column];
  return index == kAbsent ? std::string_view{} : cells_[static_cast<std::size_t>(index)];
}

void NvidiaSmiCsvSource::fail(Column column, const std::string& message) const {
  const int index = column_[column];
  throw LocatedError(path_, line_, index == kAbsent ? "" : header_[static_cast<std::size_t>(index)],
                     message);
}

std::optional<double> NvidiaSmiCsvSource::number(Column column) const {
  std::string_view text = cell(column);
  if (text.empty() || text.front() == '[' || text == "N/A") return std::nullopt;
  // "62.35 W", "1410 MHz", "87 %": the unit follows the last space.
  const std::size_t space = text.rfind(' ');
  if (space != std::string_view::npos) {
    const std::string_view unit = text.substr(space + 1);
    bool is_unit = !unit.empty();
    for (const char c : unit) is_unit = is_unit && is_unit_char(c);
    if (is_unit) text = trim(text.substr(0, space));
  }
  const std::optional<double> value = parse_double(text);
  if (!value || !std::isfinite(*value))
    fail(column, "'" + std::string(cell(column)) + "' is not a number");
  if (*value < 0.0) fail(column, "'" + std::string(cell(column)) + "' is negative");
  return value;
}

double NvidiaSmiCsvSource::timestamp() const {
  const std::string_view text = cell(kTimestamp);
  if (const auto local = parse_smi_time(text)) return *local - options_.utc_offset_s;
  if (const auto absolute = parse_time_text(text)) return *absolute;
  fail(kTimestamp,
       "'" + std::string(text) + "' is not a time (expected nvidia-smi's YYYY/MM/DD HH:MM:SS.mmm)");
}

bool NvidiaSmiCsvSource::next(Frame& out) {
  while (read_line(row_)) {
    if (trim(row_).empty()) continue;
    split(row_);
    if (column_key(cells_[0]) == "timestamp") {  // a header again: another run appended
      read_header(row_);
      continue;
    }
    if (cells_.size() != header_.size()) {
      throw LocatedError(path_, line_, "",
                         std::to_string(cells_.size()) + " cells, but the header has " +
                             std::to_string(header_.size()));
    }
    ++rows_read_;
    const double time = timestamp();
    std::string uuid(cell(kUuid));
    if (uuid.empty() || uuid.front() == '[') uuid = cell(kBusId);
    if (uuid.empty() || uuid.front() == '[') uuid = "nvidia-smi-gpu" + std::string(cell(kIndex));
    if (have_row_time_ && time < last_row_time_) {
      fail(kTimestamp, "time goes backwards (rows must be in time order)");
    }
    have_row_time_ = true;
    last_row_time_ = time;
    auto [last, first] = last_time_.try_emplace(uuid, time);
    if (!first) {
      if (time <= last->second) {
        ++duplicates_;
        continue;
      }
      last->second = time;
    }

    out.clear();
    out.timestamp_s = time;
    out.gpu_uuid = std::move(uuid);
    out.gpu_model = cell(kName);
    out.power_w = number(kPower);
    if (!out.power_w) out.power_w = number(kPowerAverage);
    if (!out.power_w) out.power_w = number(kPowerInstant);
    out.sm_clock_mhz = number(kSmClock);
    out.mem_clock_mhz = number(kMemClock);
    out.temperature_c = number(kTemperature);
    out.power_limit_w = number(kPowerLimit);
    if (!out.power_limit_w) out.power_limit_w = number(kEnforcedLimit);
    return true;
  }
  return false;
}

}  // namespace migpower
