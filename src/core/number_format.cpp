#include "core/number_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace migpower {
namespace {

constexpr double kExactPow10[9] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
constexpr double kTwoTo53 = 9007199254740992.0;
// Below this, value * 1e8 has an absolute error under 0.5 and rounds to the right integer.
constexpr double kEightPlacesBelow = 2251799813685248.0 / 1e8;  // 2^51 / 1e8

int digit_count(std::uint64_t n) {
  int count = 1;
  while (n >= 10) {
    n /= 10;
    ++count;
  }
  return count;
}

// std::to_chars picks fixed notation unless scientific is shorter (ties go to fixed).
bool fixed_is_shortest(std::uint64_t mantissa, int places) {
  const int digits = digit_count(mantissa);
  int significant = digits;
  for (std::uint64_t m = mantissa; m % 10 == 0; m /= 10) --significant;
  const int fixed = places == 0 ? digits : std::max(digits, places + 1) + 1;
  const int exponent = std::abs(digits - 1 - places);
  const int scientific =
      significant + (significant > 1 ? 1 : 0) + 2 + (exponent >= 100 ? 3 : 2);  // "e+NN"
  return fixed <= scientific;
}

}  // namespace

char* format_shortest(char* out, double value) {
  const double magnitude = std::fabs(value);
  std::uint64_t mantissa = 0;
  int places = -1;  // none found
  if (magnitude > 0.0 && magnitude < kTwoTo53 &&
      magnitude == static_cast<double>(static_cast<std::uint64_t>(magnitude))) {
    mantissa = static_cast<std::uint64_t>(magnitude);
    places = 0;
  } else if (magnitude >= 1e-3 && magnitude < kEightPlacesBelow) {
    // If any decimal with at most 8 places reads back as `value`, rounding value * 1e8 finds the
    // shortest one (after dropping trailing zeros); one exact division checks it.
    // magnitude * 1e8 >= 1e5, so adding 0.5 and truncating rounds correctly (and the division
    // below verifies it); std::llround would cost a libm call per number.
    // NOLINTNEXTLINE(bugprone-incorrect-roundings)
    auto scaled = static_cast<std::uint64_t>(magnitude * 1e8 + 0.5);
    int p = 8;
    while (p > 0 && scaled % 10 == 0) {
      scaled /= 10;
      --p;
    }
    if (static_cast<double>(scaled) / kExactPow10[p] == magnitude) {
      mantissa = scaled;
      places = p;
    }
  }
  // With places, fixed always wins from 1e-3 up; an integer with trailing zeros may not.
  if (places < 0 || (places == 0 && mantissa % 10 == 0 && !fixed_is_shortest(mantissa, places))) {
    return std::to_chars(out, out + kMaxDoubleChars, value).ptr;
  }
  if (std::signbit(value)) *out++ = '-';
  // Digits right to left, two at a time, into a scratch area; then out with the point in place.
  static constexpr char kPairs[] =
      "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
      "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
      "8081828384858687888990919293949596979899";
  char digits[24];
  char* end = digits + sizeof(digits);
  char* first = end;
  std::uint64_t m = mantissa;
  while (m >= 100) {
    const auto pair = static_cast<std::size_t>(m % 100) * 2;
    m /= 100;
    *--first = kPairs[pair + 1];
    *--first = kPairs[pair];
  }
  if (m >= 10) {
    *--first = kPairs[m * 2 + 1];
    *--first = kPairs[m * 2];
  } else {
    *--first = static_cast<char>('0' + m);
  }
  const auto count = static_cast<int>(end - first);
  if (places == 0) {
    std::memcpy(out, first, static_cast<std::size_t>(count));
    return out + count;
  }
  if (count <= places) {  // "0.00ddd"
    *out++ = '0';
    *out++ = '.';
    for (int i = count; i < places; ++i) *out++ = '0';
    std::memcpy(out, first, static_cast<std::size_t>(count));
    return out + count;
  }
  const int whole = count - places;
  std::memcpy(out, first, static_cast<std::size_t>(whole));
  out += whole;
  *out++ = '.';
  std::memcpy(out, first + whole, static_cast<std::size_t>(places));
  out += places;
  return out;
}

char* format_fixed3(char* out, double value) {
  constexpr double kLimit = 1e12;  // value * 1000 stays far below 2^53: the rounding is exact
  if (!(std::fabs(value) < kLimit)) {
    return std::to_chars(out, out + kMaxDoubleChars, value, std::chars_format::fixed, 3).ptr;
  }
  // Half away from zero, as std::round, without its library call (this runs per printed value).
  const double magnitude = std::fabs(value) * 1000.0 + 0.5;
  const auto thousandths = static_cast<std::uint64_t>(magnitude);
  if (value < 0.0 && thousandths > 0) *out++ = '-';
  out = std::to_chars(out, out + kMaxDoubleChars, thousandths / 1000).ptr;
  const auto fraction = static_cast<unsigned>(thousandths % 1000);
  out[0] = '.';
  out[1] = static_cast<char>('0' + fraction / 100);
  out[2] = static_cast<char>('0' + fraction / 10 % 10);
  out[3] = static_cast<char>('0' + fraction % 10);
  return out + 4;
}

}  // namespace migpower
