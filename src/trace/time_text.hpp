#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace migpower {

// Times and durations as operators type them on a command line.

// Seconds since the epoch from unix seconds ("1763000000", "1763000000.25") or RFC 3339
// ("2026-11-01T00:00:00Z", "2026-11-01T02:00:00.5+02:00", a space for the 'T', a date alone
// for its midnight UTC). Nullopt when the text is neither.
[[nodiscard]] std::optional<double> parse_time_text(std::string_view text);

// Seconds from a Prometheus duration ("1s", "500ms", "1m30s", "2h", "7d", "1w", "1y" = 365 d)
// or a plain number of seconds ("0.5"). Nullopt when the text is neither, or is not positive.
[[nodiscard]] std::optional<double> parse_duration_text(std::string_view text);

// Seconds since the epoch from a civil date and time in UTC (proleptic Gregorian).
[[nodiscard]] double utc_seconds(int year, int month, int day, int hour, int minute, double second);

// RFC 3339 in UTC with milliseconds: "2026-11-01T00:00:00.000Z".
[[nodiscard]] std::string format_rfc3339(double seconds);

}  // namespace migpower
