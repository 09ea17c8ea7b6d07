#pragma once

#include <cstddef>

namespace migpower {

// Room for any double in shortest form.
inline constexpr std::size_t kMaxDoubleChars = 32;

// Writes `value` at `out` exactly as std::to_chars(out, end, value) would (the shortest text that
// reads back as the same double), but quickly for the numbers telemetry is made of: integers and
// decimals with at most 8 places. Returns the end of the text; `out` needs kMaxDoubleChars.
char* format_shortest(char* out, double value);

// Writes `value` rounded to three decimals ("12.345", "-0.500"), quickly: the milliwatt
// resolution of every power migpower prints. Values beyond +-1e12 fall back to std::to_chars.
// Returns the end of the text; `out` needs kMaxDoubleChars.
char* format_fixed3(char* out, double value);

}  // namespace migpower
