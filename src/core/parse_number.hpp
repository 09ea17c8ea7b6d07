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

// The low `bytes` (0..8) bytes set.
inline std::uint64_t low_bytes(std::size_t bytes) noexcept {
  return bytes >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * bytes)) - 1;
}

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
    if (length == 0 || length > 8) return false;
    std::uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    const std::uint64_t in_cell = detail::low_bytes(length);
    // The first '.' (a zero byte of v ^ '.'; the classic test is exact for the first one).
    const std::uint64_t x = v ^ 0x2E2E2E2E2E2E2E2E;
    const std::uint64_t dots = (x - 0x0101010101010101) & ~x & 0x8080808080808080 & in_cell;
    std::size_t digits = length;
    std::size_t frac_digits = 0;
    if (dots != 0) {
      const auto dot = static_cast<std::size_t>(std::countr_zero(dots)) / 8;
      const std::uint64_t before = detail::low_bytes(dot);
      v = (v & before) | ((v >> 8) & ~before);  // close the gap the point leaves
      digits = length - 1;
      frac_digits = digits - dot;
    }
    if (digits == 0 || (detail::non_digit_marks(v) & detail::low_bytes(digits)) != 0) {
      return false;
    }
    const double mantissa =
        static_cast<double>(detail::eight_digits((v << (8 * (8 - digits))) & 0x0F0F0F0F0F0F0F0F));
    // Below 10^8 and divided by an exact power of ten: correctly rounded (Clinger).
    value = frac_digits > 0 ? mantissa / detail::kExactPow10[frac_digits] : mantissa;
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
  double result = static_cast<double>(mantissa);
  if (frac_digits > 0) result /= detail::kExactPow10[frac_digits];
  value = negative ? -result : result;
  return p;
}

}  // namespace migpower
