#include "core/parse_number.hpp"

#include <gtest/gtest.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace migpower {
namespace {

// The reference: strtod on the whole text, or nullopt when it does not consume all of it.
std::optional<double> reference(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

void expect_same(const std::optional<double>& got, const std::optional<double>& want,
                 const std::string& text) {
  ASSERT_EQ(got.has_value(), want.has_value()) << "'" << text << "'";
  if (!got) return;
  if (std::isnan(*want)) {
    EXPECT_TRUE(std::isnan(*got)) << text;
    return;
  }
  // Bitwise: the sign of zero and the last bit of rounding both count.
  EXPECT_EQ(std::memcmp(&*got, &*want, sizeof(double)), 0)
      << "'" << text << "' got " << *got << " want " << *want;
}

// A random decimal text: sign, integer digits, point, fraction digits, exponent, each optional.
std::string random_decimal(std::mt19937_64& rng, bool plain_only) {
  std::uniform_int_distribution<int> coin(0, 1);
  std::uniform_int_distribution<int> digit(0, 9);
  std::uniform_int_distribution<int> length(0, 12);
  std::uniform_int_distribution<int> long_length(0, 25);
  std::string text;
  if (coin(rng) != 0 && coin(rng) != 0) text += '-';
  const int int_digits = coin(rng) != 0 ? length(rng) : long_length(rng);
  for (int i = 0; i < int_digits; ++i) text += static_cast<char>('0' + digit(rng));
  if (coin(rng) != 0) {
    text += '.';
    const int frac_digits = coin(rng) != 0 ? length(rng) : long_length(rng);
    for (int i = 0; i < frac_digits; ++i) text += static_cast<char>('0' + digit(rng));
  }
  if (!plain_only && coin(rng) != 0 && coin(rng) != 0) {
    text += coin(rng) != 0 ? 'e' : 'E';
    if (coin(rng) != 0) text += coin(rng) != 0 ? '-' : '+';
    text += std::to_string(std::uniform_int_distribution<int>(0, 330)(rng));
  }
  return text;
}

TEST(ParseDouble, PlainDecimals) {
  EXPECT_EQ(parse_double("0"), 0.0);
  EXPECT_EQ(parse_double("1.5"), 1.5);
  EXPECT_EQ(parse_double("-2.25"), -2.25);
  EXPECT_EQ(parse_double("+7"), 7.0);
  EXPECT_EQ(parse_double(".5"), 0.5);
  EXPECT_EQ(parse_double("5."), 5.0);
  EXPECT_EQ(parse_double("0.1"), 0.1);
  EXPECT_EQ(parse_double("1700000000.123"), 1700000000.123);
  EXPECT_EQ(parse_double("9007199254740993"), 9007199254740992.0);  // 2^53 + 1 rounds to even
  const auto negative_zero = parse_double("-0");
  ASSERT_TRUE(negative_zero.has_value());
  EXPECT_TRUE(std::signbit(*negative_zero));
}

TEST(ParseDouble, ExponentsAndSpecialSpellings) {
  EXPECT_EQ(parse_double("1e3"), 1000.0);
  EXPECT_EQ(parse_double("1E-3"), 0.001);
  EXPECT_EQ(parse_double("-1.25e+2"), -125.0);
  EXPECT_EQ(parse_double("+1e2"), 100.0);
  EXPECT_TRUE(std::isnan(parse_double("nan").value()));
  EXPECT_TRUE(std::isnan(parse_double("NaN").value()));
  EXPECT_EQ(parse_double("inf"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_double("-Infinity"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_double("1e400"), std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_double("-1e400"), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(parse_double("1e-400"), 0.0);
  EXPECT_EQ(parse_double("4.9e-324"), std::numeric_limits<double>::denorm_min());
}

TEST(ParseDouble, RejectsWhatIsNotANumber) {
  for (const char* text :
       {"",   "-",   "+",   ".",   "-.",   "1.2.3", "1e",  "1e+", "abc", " 1",
        "1 ", "+-1", "-+1", "1,5", "0x10", "1_000", "--1", "1-",  "e5",  "nan1"}) {
    EXPECT_FALSE(parse_double(text).has_value()) << "'" << text << "'";
  }
}

TEST(ParseDouble, MatchesStrtodOnRandomText) {
  std::mt19937_64 rng(20250117);
  for (int i = 0; i < 200000; ++i) {
    const std::string text = random_decimal(rng, false);
    expect_same(parse_double(text), reference(text), text);
  }
}

TEST(ParseDouble, ReadsBackEveryShortestForm) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::uint64_t> bits;
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t raw = bits(rng);
    double value;
    std::memcpy(&value, &raw, sizeof(value));
    if (!std::isfinite(value)) continue;
    char text[64];
    const auto end = std::to_chars(text, text + sizeof(text), value).ptr;
    const auto parsed = parse_double(std::string_view(text, static_cast<std::size_t>(end - text)));
    ASSERT_TRUE(parsed.has_value()) << std::string(text, end);
    EXPECT_EQ(std::memcmp(&*parsed, &value, sizeof(value)), 0) << std::string(text, end);
  }
}

TEST(ParseInt, AcceptsIntegersOnly) {
  EXPECT_EQ(parse_int("0"), 0);
  EXPECT_EQ(parse_int("-5"), -5);
  EXPECT_EQ(parse_int("+7"), 7);
  EXPECT_EQ(parse_int("9223372036854775807"), std::numeric_limits<std::int64_t>::max());
  EXPECT_EQ(parse_int("-9223372036854775808"), std::numeric_limits<std::int64_t>::min());
  for (const char* text : {"", "+", "-", "9223372036854775808", "1.0", "1e3", " 1", "+-1", "x"}) {
    EXPECT_FALSE(parse_int(text).has_value()) << "'" << text << "'";
  }
}

// The padded fast paths read past the number; give them a buffer with slack after the text.
struct Padded {
  explicit Padded(const std::string& text, char after = ',') : bytes(text) {
    bytes += after;
    bytes.append(16, '7');  // digits after the cell must not leak into it
  }
  std::string bytes;
};

TEST(ScanDecimal, MatchesStrtodAndStopsAtTheEnd) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200000; ++i) {
    const std::string text = random_decimal(rng, true);
    const Padded padded(text);
    double value = 0.0;
    const char* stop = scan_decimal(padded.bytes.data(), value);
    const auto want = reference(text);
    std::size_t digits = 0;
    for (const char c : text) digits += (c >= '0' && c <= '9') ? 1 : 0;
    if (stop == nullptr) {
      // Declined: no digits, or too many for the fast path; never a wrong answer.
      EXPECT_TRUE(digits == 0 || digits > 15) << text;
      continue;
    }
    ASSERT_EQ(stop, padded.bytes.data() + text.size()) << text;
    ASSERT_TRUE(want.has_value()) << text;
    expect_same(value, want, text);
  }
}

TEST(ScanDecimal, StopsAtWhatIsNotPartOfAPlainDecimal) {
  double value = 0.0;
  const std::string text = "12.5e3,";
  EXPECT_EQ(scan_decimal(text.data(), value), text.data() + 4);  // caller sees 'e': not a cell end
  EXPECT_EQ(value, 12.5);
  EXPECT_EQ(scan_decimal(Padded("+1").bytes.data(), value), nullptr);
  EXPECT_EQ(scan_decimal(Padded(".").bytes.data(), value), nullptr);
  EXPECT_EQ(scan_decimal(Padded("-").bytes.data(), value), nullptr);
  EXPECT_EQ(scan_decimal(Padded("12345678901234567890").bytes.data(), value), nullptr);
}

TEST(ParseShortDecimal, MatchesStrtodForEveryShape) {
  std::mt19937_64 rng(13);
  std::uniform_int_distribution<int> length(1, 8);
  std::uniform_int_distribution<int> digit(0, 9);
  for (int i = 0; i < 200000; ++i) {
    std::string text;
    const int n = length(rng);
    for (int k = 0; k < n; ++k) text += static_cast<char>('0' + digit(rng));
    if (i % 4 != 0) text[static_cast<std::size_t>(rng() % text.size())] = '.';
    const Padded padded(text);
    double value = 0.0;
    const bool ok = parse_short_decimal(padded.bytes.data(), text.size(), value);
    const auto want = reference(text);
    ASSERT_EQ(ok, want.has_value()) << text;
    if (ok) expect_same(value, want, text);
  }
}

TEST(ParseShortDecimal, DeclinesWhatItDoesNotTake) {
  double value = 0.0;
  for (const char* text : {"-1", "+1", "1e5", "1.2.3", ".", "1,2", "nan", "a", "1 "}) {
    const Padded padded(text);
    EXPECT_FALSE(parse_short_decimal(padded.bytes.data(), std::strlen(text), value)) << text;
  }
  EXPECT_FALSE(parse_short_decimal(Padded("123456789").bytes.data(), 9, value));  // over 8
  EXPECT_FALSE(parse_short_decimal(Padded("").bytes.data(), 0, value));
  ASSERT_TRUE(parse_short_decimal(Padded("12345678").bytes.data(), 8, value));
  EXPECT_EQ(value, 12345678.0);
  // Only `length` characters count, whatever follows.
  ASSERT_TRUE(parse_short_decimal("0.25.99999", 4, value));
  EXPECT_EQ(value, 0.25);
}

TEST(ParseUnitFraction, MatchesStrtodForItsShape) {
  std::mt19937_64 rng(17);
  std::uniform_int_distribution<int> length(1, 8);
  std::uniform_int_distribution<int> digit(0, 9);
  for (int i = 0; i < 100000; ++i) {
    std::string text = std::string(1, static_cast<char>('0' + digit(rng))) + ".";
    const int n = length(rng);
    for (int k = 0; k < n; ++k) text += static_cast<char>('0' + digit(rng));
    const Padded padded(text);
    double value = 0.0;
    ASSERT_TRUE(parse_unit_fraction(padded.bytes.data(), text.size(), value)) << text;
    expect_same(value, reference(text), text);
  }
}

TEST(ParseUnitFraction, DeclinesOtherShapes) {
  double value = 0.0;
  for (const char* text :
       {"0", "0.", "10.5", ".55", "0.1234567890", "0.12a", "a.5", "-.5", "0,5", "0.1.2", "1e5"}) {
    const Padded padded(text);
    EXPECT_FALSE(parse_unit_fraction(padded.bytes.data(), std::strlen(text), value)) << text;
  }
  // Only `length` characters count, whatever follows.
  ASSERT_TRUE(parse_unit_fraction("0.25,99999", 4, value));
  EXPECT_EQ(value, 0.25);
}

TEST(ParsePlainDecimal, MatchesStrtodOnUnsignedPlainDecimals) {
  std::mt19937_64 rng(19);
  for (int i = 0; i < 200000; ++i) {
    std::string text = random_decimal(rng, true);
    if (!text.empty() && text[0] == '-') text.erase(0, 1);
    if (text.empty()) continue;
    const Padded padded(text);
    double value = 0.0;
    const auto want = reference(text);
    if (parse_plain_decimal(padded.bytes.data(), text.size(), value)) {
      expect_same(value, want, text);  // whatever it takes, it reads right
    } else {
      // It may decline only what is not a number or needs the general path (a mantissa beyond
      // 2^53, so more than 15 digits).
      std::size_t digits = 0;
      for (const char c : text) digits += c != '.' ? 1 : 0;
      EXPECT_TRUE(!want || digits > 15) << text;
    }
  }
}

TEST(ParsePlainDecimal, TakesOneDigitAndDeclinesSignsAndGarbage) {
  double value = -1.0;
  ASSERT_TRUE(parse_plain_decimal(Padded("7").bytes.data(), 1, value));
  EXPECT_EQ(value, 7.0);
  ASSERT_TRUE(parse_plain_decimal(Padded("1767225600.125").bytes.data(), 14, value));
  EXPECT_EQ(value, 1767225600.125);
  for (const char* text : {"x", ".", "-1", "-0", "+1", "1e5", "nan", "inf", "1..2", "1,5"}) {
    const Padded padded(text);
    EXPECT_FALSE(parse_plain_decimal(padded.bytes.data(), std::strlen(text), value)) << text;
  }
}

}  // namespace
}  // namespace migpower
