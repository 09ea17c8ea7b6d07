#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
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

// The hot path of file parsers: reads a plain decimal "[-]digits[.digits]" (at most 19 digits)
// starting at `p`, stores its correctly rounded value and returns the pointer just past it.
// Returns nullptr when the text there is not such a number (exponent, '+', no digits, too many
// digits); the caller then finds the cell's end and calls parse_double. The caller also checks
// that the returned pointer is at the cell's end. Reads up to 8 bytes beyond the number's last
// character: the caller guarantees they are readable.
[[nodiscard]] inline const char* scan_decimal(const char* p, double& value) noexcept;

// A faster path still, for cells whose extent is known: parses exactly `length` (at most 8)
// characters at `p` as digits with at most one point (no sign), without a loop. Returns false
// when they are not that (the caller then tries scan_decimal or parse_double). Reads 8 bytes at
// `p`: the caller guarantees they are readable.
[[nodiscard]] inline bool parse_short_decimal(const char* p, std::size_t length,
                                              double& value) noexcept;

// The hot path for a cell whose extent is known: parses exactly `length` (at least 1) characters
// at `p` as an unsigned plain decimal "digits[.digits]" whose digits, read as an integer, stay
// below 2^53 (so any of at most 15 digits), so the value is finite and not negative. Returns false
// when they are not one (sign, exponent, nan, garbage); the caller then uses parse_double, which
// decides. Reads up to 8 bytes past the cell: the caller guarantees they are readable, and that
// the byte just past the cell is not a digit (a delimiter ends the scan; digits would not).
[[nodiscard]] inline bool parse_plain_decimal(const char* p, std::size_t length,
                                              double& value) noexcept;

namespace detail {

inline constexpr std::uint64_t kIntPow10[9] = {1,      10,      100,      1000,     10000,
                                               100000, 1000000, 10000000, 100000000};
inline constexpr double kExactPow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                           1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                           1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
inline constexpr std::uint64_t kMaxExactInteger = std::uint64_t{1} << 53;

// Bytes 0x30..0x39 become zero; any other byte does not.
inline std::uint64_t non_digit_marks(std::uint64_t v) noexcept {
  return ((v & 0xF0F0F0F0F0F0F0F0) | (((v + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) >> 4)) ^
         0x3333333333333333;
}

// The value of an 8-digit number whose digits are the low nibbles of v's bytes, first digit in
// the lowest byte (the byte order of a little-endian load).
inline std::uint64_t eight_digits(std::uint64_t v) noexcept {
  v = v * 10 + (v >> 8);
  return ((v & 0x000000FF000000FF) * 0x000F424000000064 +
          ((v >> 16) & 0x000000FF000000FF) * 0x0000271000000001) >>
         32;
}

// kLowBytes[n]: the low n bytes set, n in 0..8 (a table: cheaper than a variable shift).
inline constexpr std::uint64_t kLowBytes[9] = {0,
                                               0xFF,
                                               0xFFFF,
                                               0xFFFFFF,
                                               0xFFFFFFFF,
                                               0xFFFFFFFFFF,
                                               0xFFFFFFFFFFFF,
                                               0xFFFFFFFFFFFFFF,
                                               0xFFFFFFFFFFFFFFFF};

// Appends the run of digits at `p` to `mantissa` (wrapping past 19 digits: callers check the
// count), advances `p` past it and returns its length. Eight bytes at a time, without branching
// on each digit (SWAR), where the machine is little-endian.
inline int digit_run(const char*& p, std::uint64_t& mantissa) noexcept {
  int total = 0;
  if constexpr (std::endian::native == std::endian::little) {
    while (true) {
      std::uint64_t v;
      std::memcpy(&v, p, sizeof(v));
      const std::uint64_t marks = non_digit_marks(v);
      const int n = marks == 0 ? 8 : std::countr_zero(marks) / 8;
      if (n == 0) return total;
      // The n digits as the low end of an 8-digit number (zero bytes lead).
      mantissa = mantissa * kIntPow10[n] + eight_digits((v << (8 * (8 - n))) & 0x0F0F0F0F0F0F0F0F);
      p += n;
      total += n;
      if (n < 8) return total;
    }
  } else {
    while (static_cast<unsigned char>(*p - '0') < 10) {
      mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
      ++p;
      ++total;
    }
    return total;
  }
}

}  // namespace detail

inline bool parse_short_decimal(const char* p, std::size_t length, double& value) noexcept {
  if constexpr (std::endian::native != std::endian::little) {
    return false;
  } else {
    if (length - 1 >= 8) return false;  // 0 or more than 8 (unsigned wrap)
    std::uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    std::size_t digits = length;
    double scale = 1.0;
    const std::uint64_t marks = detail::non_digit_marks(v) & detail::kLowBytes[length];
    if (marks != 0) {  // not all digits: the first other character must be the only point
      const auto dot = static_cast<std::size_t>(std::countr_zero(marks)) / 8;
      if (p[dot] != '.') return false;
      const std::uint64_t before = detail::kLowBytes[dot];
      v = (v & before) | ((v >> 8) & ~before);  // close the gap the point leaves
      digits = length - 1;
      if (digits == 0 || (detail::non_digit_marks(v) & detail::kLowBytes[digits]) != 0) {
        return false;
      }
      scale = detail::kExactPow10[digits - dot];
    }
    const auto mantissa = static_cast<std::int64_t>(
        detail::eight_digits((v << (64 - 8 * digits)) & 0x0F0F0F0F0F0F0F0F));
    // Below 10^8, divided by an exact power of ten (1 without a point): correctly rounded
    // (Clinger).
    value = static_cast<double>(mantissa) / scale;
    return true;
  }
}

// "d.ddd": one digit, a point, then 1 to 8 digits, the shape of most fractions 0..1. Without a
// search for the point it costs half of parse_short_decimal.
inline bool parse_unit_fraction(const char* p, std::size_t length, double& value) noexcept {
  if constexpr (std::endian::native != std::endian::little) {
    return false;
  } else {
    const auto first = static_cast<unsigned>(static_cast<unsigned char>(p[0])) - '0';
    if (length - 3 >= 8 || p[1] != '.' || first >= 10) return false;
    const std::size_t digits = length - 2;
    std::uint64_t v;
    std::memcpy(&v, p + 2, sizeof(v));
    if ((detail::non_digit_marks(v) & detail::kLowBytes[digits]) != 0) return false;
    const auto mantissa = static_cast<std::int64_t>(
        first * detail::kIntPow10[digits] +
        detail::eight_digits((v << (64 - 8 * digits)) & 0x0F0F0F0F0F0F0F0F));
    value = static_cast<double>(mantissa) / detail::kExactPow10[digits];  // as above
    return true;
  }
}

inline const char* scan_decimal(const char* p, double& value) noexcept {
  const bool negative = *p == '-';
  p += negative ? 1 : 0;
  std::uint64_t mantissa = 0;
  const int int_digits = detail::digit_run(p, mantissa);
  int frac_digits = 0;
  if (*p == '.') {
    ++p;
    frac_digits = detail::digit_run(p, mantissa);
  }
  const int digits = int_digits + frac_digits;
  // Clinger's fast path: an integer below 2^53 divided by an exact power of ten is correctly
  // rounded by one IEEE division.
  if (digits == 0 || digits > 19 || mantissa > detail::kMaxExactInteger || frac_digits > 22) {
    return nullptr;
  }
  auto result = static_cast<double>(mantissa);
  if (frac_digits > 0) result /= detail::kExactPow10[frac_digits];
  value = negative ? -result : result;
  return p;
}

inline bool parse_plain_decimal(const char* p, std::size_t length, double& value) noexcept {
  // The common shapes first: one digit ("0" fills idle instances' rows), then fractions.
  if (length == 1) {
    const auto digit = static_cast<unsigned>(static_cast<unsigned char>(*p)) - '0';
    value = digit;
    return digit < 10;
  }
  return parse_unit_fraction(p, length, value) || parse_short_decimal(p, length, value) ||
         (*p != '-' && scan_decimal(p, value) == p + length);
}

}  // namespace migpower
