// Checks the number parsers of src/core/parse_number.hpp against the C library on the same
// text: where a parser accepts, the value must be bit-identical to strtod's (or strtoll's);
// parse_double and parse_int must accept everything the reference accepts in their syntax. The
// fast paths may decline anything, but never disagree.

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/parse_number.hpp"

namespace {

[[noreturn]] void broken(const char* what, std::string_view text) {
  std::fprintf(stderr, "parse_number_fuzz: %s on '%.*s'\n", what, static_cast<int>(text.size()),
               text.data());
  std::abort();
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof(a)) == 0; }

// strtod on exactly `text`; nullopt unless it consumes all of it.
std::optional<double> reference_double(std::string_view text) {
  const std::string copy(text);
  if (copy.empty() || copy.size() != std::strlen(copy.c_str())) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size()) return std::nullopt;
  return value;
}

// Text in the syntax parse_double promises (strtod's, less whitespace, hex and nan(...)).
bool in_double_syntax(std::string_view text) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())) != 0) return false;
  return text.find_first_of("xXpP(") == std::string_view::npos;
}

// "[-]digits[.digits]" (either digit run may be empty, not both): what the fast paths accept.
bool plain_decimal(std::string_view text, bool allow_sign) {
  std::size_t i = 0;
  if (allow_sign && i < text.size() && text[i] == '-') ++i;
  std::size_t digits = 0;
  bool point = false;
  for (; i < text.size(); ++i) {
    if (text[i] >= '0' && text[i] <= '9') {
      ++digits;
    } else if (text[i] == '.' && !point) {
      point = true;
    } else {
      return false;
    }
  }
  return digits > 0;
}

// A copy of `text` followed by exactly 8 bytes of `pad` in its own heap block, so that ASan
// reports any read past what the functions document.
std::unique_ptr<char[]> padded(std::string_view text, char pad) {
  auto buffer = std::make_unique<char[]>(text.size() + 8);
  std::memcpy(buffer.get(), text.data(), text.size());
  std::memset(buffer.get() + text.size(), pad, 8);
  return buffer;
}

void check_parse_double(std::string_view text) {
  const auto ours = migpower::parse_double(text);
  const auto reference = reference_double(text);
  if (ours) {
    if (!reference) broken("parse_double accepts what strtod rejects", text);
    if (!same_bits(*ours, *reference) && !(std::isnan(*ours) && std::isnan(*reference))) {
      broken("parse_double differs from strtod", text);
    }
  } else if (reference && in_double_syntax(text)) {
    broken("parse_double rejects what strtod accepts", text);
  }
}

void check_parse_int(std::string_view text) {
  const auto ours = migpower::parse_int(text);
  const std::string copy(text);
  std::optional<long long> reference;
  if (!copy.empty() && copy.size() == std::strlen(copy.c_str()) &&
      std::isspace(static_cast<unsigned char>(copy.front())) == 0) {
    errno = 0;
    char* end = nullptr;
    const long long value = std::strtoll(copy.c_str(), &end, 10);
    if (end == copy.c_str() + copy.size() && errno != ERANGE) reference = value;
  }
  if (ours.has_value() != reference.has_value()) broken("parse_int disagrees with strtoll", text);
  if (ours && *ours != *reference) broken("parse_int differs from strtoll", text);
}

// A fast path accepted `text` as `value`: it must be a plain decimal and equal strtod's value.
void check_accepted(const char* what, std::string_view text, double value, bool allow_sign) {
  if (!plain_decimal(text, allow_sign)) broken(what, text);
  const auto reference = reference_double(text);
  if (!reference || !same_bits(value, *reference)) broken(what, text);
}

void check_fast_paths(std::string_view text) {
  // Padding of non-digits ends a number at the text's end; padding of digits tempts a scan
  // past it (the length-bounded paths must ignore it).
  for (const char pad : {',', '7'}) {
    const auto buffer = padded(text, pad);
    const char* p = buffer.get();
    double value = 0.0;
    if (pad == ',') {
      if (const char* end = migpower::scan_decimal(p, value)) {
        if (end < p || end > p + text.size()) broken("scan_decimal ran past the text", text);
        check_accepted("scan_decimal", text.substr(0, static_cast<std::size_t>(end - p)), value,
                       true);
      }
    }
    if (migpower::parse_short_decimal(p, text.size(), value)) {
      if (text.size() > 8) broken("parse_short_decimal accepted more than 8", text);
      check_accepted("parse_short_decimal", text, value, false);
    }
    if (migpower::parse_unit_fraction(p, text.size(), value)) {
      check_accepted("parse_unit_fraction", text, value, false);
    }
    // Its contract wants a non-digit just past the cell (a delimiter, as in a trace).
    if (pad == ',' && !text.empty() && migpower::parse_plain_decimal(p, text.size(), value)) {
      check_accepted("parse_plain_decimal", text, value, false);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_parse_double(text);
  check_parse_int(text);
  check_fast_paths(text);
  return 0;
}
