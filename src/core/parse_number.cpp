#include "core/parse_number.hpp"

#include <charconv>
#include <cstdlib>
#include <string>
#include <system_error>

namespace migpower {
namespace {

constexpr int kMaxFastDigits = 19;  // 10^19 - 1 still fits in 64 bits

bool is_digit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Everything the fast path declines: exponents, long mantissas, nan/inf spellings.
std::optional<double> parse_double_slow(const char* begin, const char* end) {
  if (begin != end && *begin == '+') {
    ++begin;
    if (begin != end && *begin == '-') return std::nullopt;  // "+-1" is not a number
  }
  if (begin == end) return std::nullopt;
  double value = 0.0;
  const auto [ptr, ec] = std::from_chars(begin, end, value, std::chars_format::general);
  if (ptr != end) return std::nullopt;
  if (ec == std::errc::result_out_of_range) {
    // from_chars leaves the value unset; strtod gives the conventional inf or 0 (rare path).
    const std::string copy(begin, end);
    return std::strtod(copy.c_str(), nullptr);
  }
  if (ec != std::errc{}) return std::nullopt;
  return value;
}

}  // namespace

std::optional<double> parse_double(std::string_view text) noexcept {
  const char* p = text.data();
  const char* const end = p + text.size();
  bool negative = false;
  if (p != end && (*p == '-' || *p == '+')) {
    negative = *p == '-';
    ++p;
  }
  // Fast path (Clinger): an integer mantissa below 2^53 divided by an exact power of ten is
  // correctly rounded by one IEEE division.
  std::uint64_t mantissa = 0;
  const char* const int_begin = p;
  while (p != end && is_digit(*p)) {
    mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
    ++p;
  }
  const auto int_digits = p - int_begin;
  std::ptrdiff_t frac_digits = 0;
  if (p != end && *p == '.') {
    ++p;
    const char* const frac_begin = p;
    while (p != end && is_digit(*p)) {
      mantissa = mantissa * 10 + static_cast<unsigned>(*p - '0');
      ++p;
    }
    frac_digits = p - frac_begin;
  }
  const auto digits = int_digits + frac_digits;
  if (p == end && digits > 0 && digits <= kMaxFastDigits && mantissa <= detail::kMaxExactInteger &&
      frac_digits <= 22) {
    auto value = static_cast<double>(mantissa);
    if (frac_digits > 0) value /= detail::kExactPow10[frac_digits];
    return negative ? -value : value;
  }
  try {
    return parse_double_slow(text.data(), end);
  } catch (...) {  // only the string copy can throw
    return std::nullopt;
  }
}

std::optional<std::int64_t> parse_int(std::string_view text) noexcept {
  const char* begin = text.data();
  const char* const end = begin + text.size();
  if (begin != end && *begin == '+') {
    ++begin;
    if (begin != end && *begin == '-') return std::nullopt;
  }
  if (begin == end) return std::nullopt;
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc{} || ptr != end) return std::nullopt;
  return value;
}

}  // namespace migpower
