#include "core/number_format.hpp"

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

namespace migpower {
namespace {

std::string fixed3(double value) {
  char buffer[kMaxDoubleChars];
  return {buffer, format_fixed3(buffer, value)};
}

TEST(FormatFixed3, PrintsMilliwatts) {
  EXPECT_EQ(fixed3(0.0), "0.000");
  EXPECT_EQ(fixed3(-0.0), "0.000");
  EXPECT_EQ(fixed3(12.3456), "12.346");
  EXPECT_EQ(fixed3(400.0), "400.000");
  EXPECT_EQ(fixed3(0.0004), "0.000");
  EXPECT_EQ(fixed3(-0.0004), "0.000");  // no "-0.000"
  EXPECT_EQ(fixed3(-2.5), "-2.500");
  EXPECT_EQ(fixed3(1234567.0625), "1234567.063");
  EXPECT_EQ(fixed3(2e12), "2000000000000.000");  // beyond the fast range: std::to_chars
}

TEST(FormatFixed3, StaysWithinHalfAMilliwattOfTheValue) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> power(-1000.0, 100000.0);
  for (int i = 0; i < 100000; ++i) {
    const double value = power(rng);
    const std::string text = fixed3(value);
    ASSERT_EQ(text.size() - text.find('.'), 4u) << text;
    EXPECT_LE(std::fabs(std::stod(text) - value), 0.0005 + 1e-9) << value << " " << text;
  }
}

}  // namespace
}  // namespace migpower
