#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace migpower {

// Parses the whole of `text` as a decimal number in strtod's syntax (optional sign, digits with
// an optional point, optional exponent; no surrounding whitespace, no hex). Returns nullopt when
// the text is not such a number. The spellings "nan" and "inf"/"infinity" are accepted and give
// NaN or infinity so that callers can reject them with a precise message. A value beyond the
// double range gives infinity, one below it zero (as strtod does). Correctly rounded.
[[nodiscard]] std::optional<double> parse_double(std::string_view text) noexcept;

// Parses the whole of `text` as a decimal integer with an optional sign; nullopt when it is not
// one or does not fit.
[[nodiscard]] std::optional<std::int64_t> parse_int(std::string_view text) noexcept;

}  // namespace migpower
