#include "trace/time_text.hpp"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "core/parse_number.hpp"

namespace migpower {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads exactly `count` digits at `pos`.
std::optional<int> digits(std::string_view text, std::size_t& pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (!is_digit(text[pos + i])) return std::nullopt;
    value = value * 10 + (text[pos + i] - '0');
  }
  pos += count;
  return value;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

bool leap_year(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && leap_year(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// Days from 1970-01-01 to a civil date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<double> parse_rfc3339(std::string_view text) {
  std::size_t pos = 0;
  const auto year = digits(text, pos, 4);
  if (!year || !expect(text, pos, '-')) return std::nullopt;
  const auto month = digits(text, pos, 2);
  if (!month || !expect(text, pos, '-')) return std::nullopt;
  const auto day = digits(text, pos, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > days_in_month(*year, *month)) {
    return std::nullopt;
  }
  if (pos == text.size()) return utc_seconds(*year, *month, *day, 0, 0, 0.0);
  if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
  ++pos;
  const auto hour = digits(text, pos, 2);
  if (!hour || !expect(text, pos, ':')) return std::nullopt;
  const auto minute = digits(text, pos, 2);
  if (!minute || !expect(text, pos, ':')) return std::nullopt;
  const auto whole_second = digits(text, pos, 2);
  if (!whole_second || *hour > 23 || *minute > 59 || *whole_second > 60) return std::nullopt;
  double second = *whole_second;
  if (pos < text.size() && text[pos] == '.') {
    const std::size_t begin = pos;
    ++pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    if (pos == begin + 1) return std::nullopt;
    const auto fraction = parse_double(text.substr(begin, pos - begin));
    if (!fraction) return std::nullopt;
    second += *fraction;
  }
  if (pos == text.size()) return std::nullopt;  // RFC 3339 demands an offset
  double offset_s = 0.0;
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    const double sign = text[pos] == '-' ? -1.0 : 1.0;
    ++pos;
    const auto offset_hour = digits(text, pos, 2);
    if (!offset_hour || !expect(text, pos, ':')) return std::nullopt;
    const auto offset_minute = digits(text, pos, 2);
    if (!offset_minute || *offset_hour > 23 || *offset_minute > 59) return std::nullopt;
    offset_s = sign * (*offset_hour * 3600.0 + *offset_minute * 60.0);
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  return utc_seconds(*year, *month, *day, *hour, *minute, second) - offset_s;
}

}  // namespace

double utc_seconds(int year, int month, int day, int hour, int minute, double second) {
  const std::int64_t days =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return static_cast<double>(days * 86400 + std::int64_t{hour} * 3600 + std::int64_t{minute} * 60) +
         second;
}

std::optional<double> parse_time_text(std::string_view text) {
  if (text.empty()) return std::nullopt;
  // Unix seconds: all digits, with at most one point (four digits and a dash is a date).
  if (text.size() < 5 || text[4] != '-') {
    const std::optional<double> seconds = parse_double(text);
    if (seconds && std::isfinite(*seconds)) return seconds;
    return std::nullopt;
  }
  return parse_rfc3339(text);
}

std::optional<double> parse_duration_text(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (const std::optional<double> plain = parse_double(text)) {
    if (std::isfinite(*plain) && *plain > 0.0) return plain;
    return std::nullopt;
  }
  struct Unit {
    std::string_view name;
    double seconds;
  };
  static constexpr std::array<Unit, 7> kUnits = {{{"ms", 0.001},
                                                  {"s", 1.0},
                                                  {"m", 60.0},
                                                  {"h", 3600.0},
                                                  {"d", 86400.0},
                                                  {"w", 604800.0},
                                                  {"y", 31536000.0}}};
  double total = 0.0;
  std::size_t pos = 0;
  std::size_t last_unit = 0;  // units must come largest first, each once (as Prometheus wants)
  bool first = true;
  while (pos < text.size()) {
    std::int64_t number = 0;
    const std::size_t begin = pos;
    while (pos < text.size() && is_digit(text[pos])) {
      number = number * 10 + (text[pos] - '0');
      if (number > (std::int64_t{1} << 40)) return std::nullopt;
      ++pos;
    }
    if (pos == begin) return std::nullopt;
    std::size_t unit = kUnits.size();
    // "ms" before "m": the longest unit name that matches.
    for (std::size_t u = 0; u < kUnits.size(); ++u) {
      if (text.substr(pos, kUnits[u].name.size()) == kUnits[u].name &&
          (unit == kUnits.size() || kUnits[u].name.size() > kUnits[unit].name.size())) {
        unit = u;
      }
    }
    if (unit == kUnits.size()) return std::nullopt;
    const std::size_t rank = kUnits.size() - unit;  // larger units rank lower
    if (!first && rank <= last_unit) return std::nullopt;
    first = false;
    last_unit = rank;
    total += static_cast<double>(number) * kUnits[unit].seconds;
    pos += kUnits[unit].name.size();
  }
  if (!(total > 0.0)) return std::nullopt;
  return total;
}

std::string format_rfc3339(double seconds) {
  const auto millis = static_cast<std::int64_t>(std::llround(seconds * 1000.0));
  std::int64_t days = millis / 86400000;
  std::int64_t rest = millis % 86400000;
  if (rest < 0) {
    rest += 86400000;
    --days;
  }
  // Howard Hinnant's civil_from_days.
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned day = doy - (153 * mp + 2) / 5 + 1;
  const unsigned month = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t year = static_cast<std::int64_t>(yoe) + era * 400 + (month <= 2 ? 1 : 0);
  char text[48];
  std::snprintf(text, sizeof(text), "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ",
                static_cast<long long>(year), month, day, static_cast<long long>(rest / 3600000),
                static_cast<long long>(rest / 60000 % 60), static_cast<long long>(rest / 1000 % 60),
                static_cast<long long>(rest % 1000));
  return text;
}

}  // namespace migpower
