#include "telemetry/number_format.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>

namespace migpower {
namespace {

std::string reference(double value) {
  char text[64];
  return std::string(text, std::to_chars(text, text + sizeof(text), value).ptr);
}

std::string formatted(double value) {
  char text[kMaxDoubleChars];
  return std::string(text, format_shortest(text, value));
}

TEST(NumberFormat, MatchesToCharsOnTypicalTelemetry) {
  for (const double value : {0.0,
                             -0.0,
                             1.0,
                             -1.0,
                             0.5,
                             0.1,
                             0.063107,
                             122.997,
                             250.5,
                             1410.0,
                             123706789.0,
                             1e-3,
                             1e-4,
                             0.00123,
                             100.0,
                             1000.0,
                             1e5,
                             1e6,
                             1234567.0,
                             12345678.5,
                             22517998.0,
                             22517998.13,
                             1700000000.25,
                             9007199254740991.0,
                             9007199254740992.0,
                             1e15,
                             1e16,
                             1e22,
                             1e23,
                             0.3,
                             2.675,
                             1.0 / 3.0,
                             5e-324,
                             1.7976931348623157e308,
                             -0.25,
                             -123.456}) {
    EXPECT_EQ(formatted(value), reference(value)) << reference(value);
  }
}

TEST(NumberFormat, MatchesToCharsOnRandomDecimals) {
  std::mt19937_64 rng(3);
  std::uniform_int_distribution<int> digits(1, 12);
  std::uniform_int_distribution<int> places(0, 10);
  for (int i = 0; i < 300000; ++i) {
    // Up to 12 digits with up to 10 places, as DCGM and the simulator print them. Built by
    // appending: std::string::insert trips GCC 12's -Wrestrict at -O3.
    const std::string all = std::to_string(rng() % 1000000000000ULL);
    const std::size_t n = std::min(all.size(), static_cast<std::size_t>(digits(rng)));
    const auto p = static_cast<std::size_t>(places(rng));
    std::string text = rng() % 5 == 0 ? "-" : "";
    if (p > 0 && p < n) {
      text.append(all, 0, n - p);
      text += '.';
      text.append(all, n - p, p);
    } else {
      text.append(all, 0, n);
    }
    const double value = std::stod(text);
    ASSERT_EQ(formatted(value), reference(value)) << text;
  }
}

TEST(NumberFormat, MatchesToCharsOnRandomBitPatterns) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 300000; ++i) {
    double value;
    if (i % 2 == 0) {
      const std::uint64_t bits = rng();
      std::memcpy(&value, &bits, sizeof(value));
      if (!std::isfinite(value)) continue;
    } else {
      value = unit(rng) * std::pow(10.0, static_cast<double>(rng() % 20) - 6);
    }
    ASSERT_EQ(formatted(value), reference(value)) << reference(value);
  }
}

}  // namespace
}  // namespace migpower
