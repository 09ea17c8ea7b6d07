#include "sources/prometheus/prometheus_text.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>

#include "core/error.hpp"
#include "core/parse_number.hpp"

namespace migpower {
namespace {

constexpr std::size_t kNpos = std::string_view::npos;

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Character classes of names, one table lookup per byte (names are most of a payload).
enum : unsigned char { kStartsName = 1, kContinuesName = 2, kMetricOnly = 4 };
constexpr std::array<unsigned char, 256> kNameClass = [] {
  std::array<unsigned char, 256> table{};
  for (int c = 0; c < 256; ++c) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    table[static_cast<std::size_t>(c)] =
        static_cast<unsigned char>((letter ? kStartsName | kContinuesName : 0) |
                                   (digit ? kContinuesName : 0) | (c == ':' ? kMetricOnly : 0));
  }
  return table;
}();
unsigned char name_class(char c) { return kNameClass[static_cast<unsigned char>(c)]; }
bool starts_name(char c) { return (name_class(c) & kStartsName) != 0; }
bool continues_name(char c) { return (name_class(c) & kContinuesName) != 0; }

std::size_t skip_blanks(std::string_view line, std::size_t pos) {
  while (pos < line.size() && is_blank(line[pos])) ++pos;
  return pos;
}

// The end of the token starting at `pos`: the next blank or the end of the line.
std::size_t token_end(std::string_view line, std::size_t pos) {
  while (pos < line.size() && !is_blank(line[pos])) ++pos;
  return pos;
}

// Metric names may hold ':' (recording rules); label names may not.
std::size_t metric_name_end(std::string_view line, std::size_t pos) {
  if (pos >= line.size() || (name_class(line[pos]) & (kStartsName | kMetricOnly)) == 0) return pos;
  ++pos;
  while (pos < line.size() && (name_class(line[pos]) & (kContinuesName | kMetricOnly)) != 0) ++pos;
  return pos;
}

// The next '"' or '\\' at or after `pos`, or npos. Escapes are rare: find the quote, then look
// for a backslash before it (two memchr, not a test per byte).
std::size_t quote_or_backslash(std::string_view line, std::size_t pos) {
  if (pos >= line.size()) return kNpos;
  const char* begin = line.data() + pos;
  const char* end = line.data() + line.size();
  const auto* quote = static_cast<const char*>(std::memchr(begin, '"', end - begin));
  const char* limit = quote != nullptr ? quote : end;
  const auto* backslash = static_cast<const char*>(std::memchr(begin, '\\', limit - begin));
  const char* found = backslash != nullptr ? backslash : quote;
  return found == nullptr ? kNpos : static_cast<std::size_t>(found - line.data());
}

std::size_t label_name_end(std::string_view line, std::size_t pos) {
  if (pos >= line.size() || !starts_name(line[pos])) return pos;
  ++pos;
  while (pos < line.size() && continues_name(line[pos])) ++pos;
  return pos;
}

bool equals_ignoring_case(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'A' && a[i] <= 'Z') ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
    if (c != lower[i]) return false;
  }
  return true;
}

std::optional<PromMetricType> parse_type(std::string_view token) {
  static constexpr std::array<std::pair<std::string_view, PromMetricType>, 5> kTypes = {{
      {"counter", PromMetricType::counter},
      {"gauge", PromMetricType::gauge},
      {"histogram", PromMetricType::histogram},
      {"summary", PromMetricType::summary},
      {"untyped", PromMetricType::untyped},
  }};
  for (const auto& [name, type] : kTypes) {
    if (equals_ignoring_case(token, name)) return type;
  }
  return std::nullopt;
}

// Label values must be UTF-8 (as the reference parser demands). Most are ASCII: checked first.
bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  const std::size_t n = text.size();
  // Eight bytes at a time while they are all ASCII.
  for (std::uint64_t word = 0; i + 8 <= n; i += 8) {
    std::memcpy(&word, text.data() + i, sizeof(word));
    if ((word & 0x8080808080808080ULL) != 0) break;
  }
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > n) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    static constexpr std::array<std::uint32_t, 5> kMinimum = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string shown(std::string_view text) {
  constexpr std::size_t kShown = 40;
  std::string out = "'";
  for (const char c : text.substr(0, kShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  if (text.size() > kShown) out += "...";
  return out + "'";
}

}  // namespace

std::string_view to_string(PromMetricType type) {
  switch (type) {
    case PromMetricType::counter:
      return "counter";
    case PromMetricType::gauge:
      return "gauge";
    case PromMetricType::histogram:
      return "histogram";
    case PromMetricType::summary:
      return "summary";
    case PromMetricType::untyped:
      break;
  }
  return "untyped";
}

std::optional<std::string_view> PromSample::label(std::string_view label_name) const {
  for (const PromLabel& l : labels) {
    if (l.name == label_name) return l.value;
  }
  return std::nullopt;
}

std::optional<double> parse_prometheus_value(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::size_t pos = 0;
  const bool signed_value = text[0] == '+' || text[0] == '-';
  const bool negative = text[0] == '-';
  if (signed_value) ++pos;
  if (pos == text.size()) return std::nullopt;
  const std::string_view body = text.substr(pos);
  // Go's special values: "inf"/"infinity" with an optional sign, "nan" without one.
  if (is_letter(body[0])) {
    if (equals_ignoring_case(body, "inf") || equals_ignoring_case(body, "infinity")) {
      return negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    }
    if (!signed_value && equals_ignoring_case(body, "nan")) {
      return std::numeric_limits<double>::quiet_NaN();
    }
    return std::nullopt;
  }
  // Hex floats ("0x1.8p3"): Go demands the 'p' exponent.
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X')) {
    const std::string_view digits = body.substr(2);
    if (digits.find_first_of("pP") == kNpos || digits[0] == '+' || digits[0] == '-') {
      return std::nullopt;
    }
    double value = 0.0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value,
                                           std::chars_format::hex);
    if (ec != std::errc{} || end != digits.data() + digits.size()) return std::nullopt;
    return negative ? -value : value;
  }
  if (!is_digit(body[0]) && body[0] != '.') return std::nullopt;  // "+-1", "--1"
  const std::optional<double> value = parse_double(text);
  if (!value || std::isnan(*value)) return std::nullopt;  // "nan(...)" forms are not Go's
  return value;
}

PrometheusTextParser::PrometheusTextParser(std::string source) : source_(std::move(source)) {}

void PrometheusTextParser::reset() {
  line_ = 0;
  samples_ = 0;
  pending_.clear();
  typed_.clear();
  helped_.clear();
}

void PrometheusTextParser::feed(std::string_view bytes, PromVisitor& visitor) {
  while (!bytes.empty()) {
    const std::size_t newline = bytes.find('\n');
    if (newline == kNpos) {
      if (pending_.size() + bytes.size() > kMaxLineBytes) {
        line_ += 1;
        fail(kMaxLineBytes, "line longer than " + std::to_string(kMaxLineBytes) + " bytes");
      }
      pending_.append(bytes);
      return;
    }
    std::string_view line = bytes.substr(0, newline);
    if (!pending_.empty()) {
      pending_.append(line);
      line = pending_;
    }
    ++line_;
    if (line.size() > kMaxLineBytes) {
      fail(kMaxLineBytes, "line longer than " + std::to_string(kMaxLineBytes) + " bytes");
    }
    parse_line(line, visitor);
    pending_.clear();
    bytes.remove_prefix(newline + 1);
  }
}

void PrometheusTextParser::finish(PromVisitor& visitor) {
  if (pending_.empty()) return;
  ++line_;
  parse_line(pending_, visitor);
  pending_.clear();
}

void PrometheusTextParser::parse_line(std::string_view line, PromVisitor& visitor) {
  // Leading and trailing blanks are ignored; '\r' too, for payloads saved on Windows.
  while (!line.empty() && (is_blank(line.back()) || line.back() == '\r')) line.remove_suffix(1);
  const std::size_t pos = skip_blanks(line, 0);
  if (pos == line.size()) return;
  if (line[pos] == '#') {
    parse_comment(line, pos + 1, visitor);
  } else {
    parse_sample(line, pos, visitor);
  }
}

void PrometheusTextParser::parse_comment(std::string_view line, std::size_t pos,
                                         PromVisitor& visitor) {
  pos = skip_blanks(line, pos);
  const std::size_t keyword_end = token_end(line, pos);
  const std::string_view keyword = line.substr(pos, keyword_end - pos);
  const bool help = keyword == "HELP";
  if (!help && keyword != "TYPE") return;  // any other comment
  pos = skip_blanks(line, keyword_end);
  if (pos == line.size()) return;  // "# HELP" alone is just a comment
  const std::size_t name_end = metric_name_end(line, pos);
  if (name_end == pos || (name_end < line.size() && !is_blank(line[name_end]))) {
    fail(pos, "invalid metric name " + shown(line.substr(pos, token_end(line, pos) - pos)) +
                  " in " + std::string(keyword) + " line");
  }
  const std::string_view metric = line.substr(pos, name_end - pos);
  pos = skip_blanks(line, name_end);

  if (help) {
    if (!helped_.emplace(metric).second) {
      fail(0, "second HELP line for metric " + shown(metric));
    }
    // The docstring runs to the end of the line; "\\" and "\n" are its only escapes.
    const std::string_view raw = line.substr(pos);
    if (raw.find('\\') == kNpos) {
      visitor.on_help(metric, raw);
      return;
    }
    help_text_.clear();
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '\\') {
        help_text_ += raw[i];
        continue;
      }
      if (i + 1 == raw.size()) fail(pos + i, "backslash at the end of a HELP line");
      const char escaped = raw[++i];
      if (escaped == '\\') {
        help_text_ += '\\';
      } else if (escaped == 'n') {
        help_text_ += '\n';
      } else {
        fail(pos + i - 1, "invalid escape sequence " + shown(raw.substr(i - 1, 2)) +
                              R"( in HELP text (only \\ and \n))");
      }
    }
    visitor.on_help(metric, help_text_);
    return;
  }

  if (pos == line.size()) fail(pos, "TYPE line for " + shown(metric) + " without a type");
  const std::size_t type_end = token_end(line, pos);
  const std::string_view type_token = line.substr(pos, type_end - pos);
  const std::optional<PromMetricType> type = parse_type(type_token);
  if (!type) {
    fail(pos, "unknown metric type " + shown(type_token) +
                  " (counter, gauge, histogram, summary or untyped)");
  }
  if (skip_blanks(line, type_end) != line.size()) {
    fail(skip_blanks(line, type_end), "unexpected text after the type");
  }
  if (!typed_.emplace(metric).second) fail(0, "second TYPE line for metric " + shown(metric));
  visitor.on_type(metric, *type);
}

void PrometheusTextParser::parse_sample(std::string_view line, std::size_t pos,
                                        PromVisitor& visitor) {
  const std::size_t name_end = metric_name_end(line, pos);
  if (name_end == pos) {
    fail(pos,
         "invalid metric name starting " + shown(line.substr(pos, token_end(line, pos) - pos)));
  }
  labels_.clear();
  std::size_t next = skip_blanks(line, name_end);
  if (next < line.size() && line[next] == '{') {
    next = skip_blanks(line, parse_labels(line, next));
  } else if (next == name_end && next < line.size()) {
    fail(next, "unexpected character " + shown(line.substr(next, 1)) + " after the metric name");
  }
  if (next == line.size()) fail(next, "missing value");
  const std::size_t value_end = token_end(line, next);
  const std::string_view value_text = line.substr(next, value_end - next);
  const std::optional<double> value = parse_prometheus_value(value_text);
  if (!value) fail(next, "invalid value " + shown(value_text));

  PromSample sample;
  sample.name = line.substr(pos, name_end - pos);
  sample.value = *value;
  sample.line = line_;
  next = skip_blanks(line, value_end);
  if (next < line.size()) {
    const std::size_t stamp_end = token_end(line, next);
    const std::string_view stamp_text = line.substr(next, stamp_end - next);
    const std::optional<std::int64_t> stamp = parse_int(stamp_text);
    if (!stamp) fail(next, "invalid timestamp " + shown(stamp_text) + " (integer milliseconds)");
    sample.timestamp_ms = *stamp;
    if (skip_blanks(line, stamp_end) != line.size()) {
      fail(skip_blanks(line, stamp_end), "unexpected text after the timestamp");
    }
  }
  sample.labels = labels_;
  ++samples_;
  visitor.on_sample(sample);
}

std::size_t PrometheusTextParser::parse_labels(std::string_view line, std::size_t pos) {
  // Unescaped values are appended here; reserving the line's length up front means the buffer
  // never moves while views into it are handed out.
  unescaped_.clear();
  unescaped_.reserve(line.size());
  const std::size_t open = pos;
  ++pos;
  while (true) {
    pos = skip_blanks(line, pos);
    if (pos == line.size()) fail(open, "unterminated label set (no '}')");
    if (line[pos] == '}') return pos + 1;
    const std::size_t name_end = label_name_end(line, pos);
    if (name_end == pos) {
      fail(pos, "invalid label name starting " + shown(line.substr(pos, 1)));
    }
    const std::string_view name = line.substr(pos, name_end - pos);
    if (name == "__name__") fail(pos, "label name '__name__' is reserved");
    for (const PromLabel& seen : labels_) {
      if (seen.name == name) fail(pos, "duplicate label " + shown(name));
    }
    pos = skip_blanks(line, name_end);
    if (pos == line.size() || line[pos] != '=') {
      fail(pos, "expected '=' after label " + shown(name));
    }
    pos = skip_blanks(line, pos + 1);
    if (pos == line.size() || line[pos] != '"') {
      fail(pos, "expected '\"' to open the value of label " + shown(name));
    }
    std::string_view value;
    const std::size_t value_start = pos;
    pos = parse_label_value(line, pos + 1, value);
    if (!valid_utf8(value)) fail(value_start, "value of label " + shown(name) + " is not UTF-8");
    labels_.push_back({name, value});
    pos = skip_blanks(line, pos);
    if (pos == line.size()) fail(open, "unterminated label set (no '}')");
    if (line[pos] == ',') {
      ++pos;
    } else if (line[pos] != '}') {
      fail(pos, "expected ',' or '}' after the value of label " + shown(name));
    }
  }
}

std::size_t PrometheusTextParser::parse_label_value(std::string_view line, std::size_t pos,
                                                    std::string_view& value) {
  const std::size_t open = pos - 1;
  const std::size_t stop = quote_or_backslash(line, pos);
  if (stop == kNpos) fail(open, "unterminated label value");
  if (line[stop] == '"') {  // the common case: no escapes, a view into the line
    value = line.substr(pos, stop - pos);
    return stop + 1;
  }
  const std::size_t start = unescaped_.size();
  std::size_t i = pos;
  while (true) {
    const std::size_t next = quote_or_backslash(line, i);
    if (next == kNpos) fail(open, "unterminated label value");
    unescaped_.append(line.substr(i, next - i));
    if (line[next] == '"') {
      value = std::string_view(unescaped_.data() + start, unescaped_.size() - start);
      return next + 1;
    }
    if (next + 1 == line.size()) fail(open, "unterminated label value");
    const char escaped = line[next + 1];
    if (escaped == '\\' || escaped == '"') {
      unescaped_ += escaped;
    } else if (escaped == 'n') {
      unescaped_ += '\n';
    } else {
      fail(next, "invalid escape sequence " + shown(line.substr(next, 2)) +
                     R"( in a label value (only \\, \" and \n))");
    }
    i = next + 2;
  }
}

void PrometheusTextParser::fail(std::size_t column_index, const std::string& message) const {
  throw LocatedError(source_, line_, std::to_string(column_index + 1), message);
}

void parse_prometheus_text(std::string_view text, const std::string& source, PromVisitor& visitor) {
  PrometheusTextParser parser(source);
  parser.feed(text, visitor);
  parser.finish(visitor);
}

namespace {

class CollectingVisitor : public PromVisitor {
 public:
  explicit CollectingVisitor(std::vector<OwnedPromSample>& out) : out_(out) {}
  void on_sample(const PromSample& sample) override {
    OwnedPromSample owned;
    owned.name = sample.name;
    for (const PromLabel& label : sample.labels) {
      owned.labels.emplace_back(std::string(label.name), std::string(label.value));
    }
    owned.value = sample.value;
    owned.timestamp_ms = sample.timestamp_ms;
    owned.line = sample.line;
    out_.push_back(std::move(owned));
  }

 private:
  std::vector<OwnedPromSample>& out_;
};

}  // namespace

std::vector<OwnedPromSample> parse_prometheus_samples(std::string_view text,
                                                      const std::string& source) {
  std::vector<OwnedPromSample> samples;
  CollectingVisitor visitor(samples);
  parse_prometheus_text(text, source, visitor);
  return samples;
}

}  // namespace migpower
