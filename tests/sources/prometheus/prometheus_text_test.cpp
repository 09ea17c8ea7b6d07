#include "sources/prometheus/prometheus_text.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace migpower {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(MIGPOWER_SOURCE_DIR) / "tests/sources/prometheus/fixtures/dcgm-exporter";

std::string read_fixture(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string label_of(const OwnedPromSample& sample, const std::string& name) {
  for (const auto& [key, value] : sample.labels) {
    if (key == name) return value;
  }
  return "<absent>";
}

// Records everything a parse reports, so chunked and whole parses can be compared.
class Recorder : public PromVisitor {
 public:
  void on_sample(const PromSample& sample) override {
    std::ostringstream line;
    line << sample.line << " " << sample.name << "{";
    for (const PromLabel& label : sample.labels) line << label.name << "=" << label.value << ";";
    line << "} " << sample.value;
    if (sample.timestamp_ms) line << " @" << *sample.timestamp_ms;
    events.push_back(line.str());
  }
  void on_help(std::string_view metric, std::string_view text) override {
    events.push_back("HELP " + std::string(metric) + " " + std::string(text));
  }
  void on_type(std::string_view metric, PromMetricType type) override {
    events.push_back("TYPE " + std::string(metric) + " " + std::string(to_string(type)));
  }
  std::vector<std::string> events;
};

// The error a parse of `text` throws; fails the test when it throws none.
LocatedError parse_error(const std::string& text, const std::string& source = "payload") {
  try {
    (void)parse_prometheus_samples(text, source);
  } catch (const LocatedError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << text;
  return LocatedError(source, 0, "", "none");
}

TEST(PrometheusText, ParsesSamplesWithHelpTypeLabelsAndTimestamps) {
  const std::string text =
      "# HELP http_requests_total The total number of HTTP requests.\n"
      "# TYPE http_requests_total counter\n"
      "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
      "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
      "\n"
      "# A normal comment\n"
      "metric_without_timestamp_and_labels 12.47\n"
      "rpc:duration_seconds:rate5m{quantile=\"0.99\"} 7.5e-3\n";
  Recorder recorder;
  parse_prometheus_text(text, "example", recorder);
  const std::vector<std::string> expected = {
      "HELP http_requests_total The total number of HTTP requests.",
      "TYPE http_requests_total counter",
      "3 http_requests_total{method=post;code=200;} 1027 @1395066363000",
      "4 http_requests_total{method=post;code=400;} 3 @1395066363000",
      "7 metric_without_timestamp_and_labels{} 12.47",
      "8 rpc:duration_seconds:rate5m{quantile=0.99;} 0.0075",
  };
  EXPECT_EQ(recorder.events, expected);
}

TEST(PrometheusText, UnescapesLabelValuesAndHelpText) {
  const std::string text =
      "# HELP msdos_file_access_time_seconds Time\\\\path with a\\nnewline.\n"
      "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find "
      "file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9\n";
  Recorder recorder;
  parse_prometheus_text(text, "example", recorder);
  ASSERT_EQ(recorder.events.size(), 2U);
  EXPECT_EQ(recorder.events[0], "HELP msdos_file_access_time_seconds Time\\path with a\nnewline.");
  const auto samples = parse_prometheus_samples(text, "example");
  ASSERT_EQ(samples.size(), 1U);
  EXPECT_EQ(label_of(samples[0], "path"), "C:\\DIR\\FILE.TXT");
  EXPECT_EQ(label_of(samples[0], "error"), "Cannot find file:\n\"FILE.TXT\"");
  EXPECT_DOUBLE_EQ(samples[0].value, 1.458255915e9);
}

TEST(PrometheusText, EscapedAndPlainValuesOnOneLineStayIntact) {
  // Escaped values live in a scratch buffer: it must not move while the line's views are alive.
  std::ostringstream text;
  text << "m{";
  for (int i = 0; i < 40; ++i) {
    text << "l" << i << "=\"" << (i % 2 == 0 ? "v\\\"" : "plain") << i << "\",";
  }
  text << "} 1\n";
  const auto samples = parse_prometheus_samples(text.str(), "many");
  ASSERT_EQ(samples.size(), 1U);
  ASSERT_EQ(samples[0].labels.size(), 40U);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(samples[0].labels[static_cast<std::size_t>(i)].second,
              (i % 2 == 0 ? "v\"" : "plain") + std::to_string(i));
  }
}

TEST(PrometheusText, SpecialValues) {
  const auto samples = parse_prometheus_samples(
      "a NaN\nb +Inf\nc -Inf\nd Inf\ne -0.5\nf 0x1.8p1\ng .25\nh 1E3\ni +7\n", "values");
  ASSERT_EQ(samples.size(), 9U);
  EXPECT_TRUE(std::isnan(samples[0].value));
  EXPECT_EQ(samples[1].value, INFINITY);
  EXPECT_EQ(samples[2].value, -INFINITY);
  EXPECT_EQ(samples[3].value, INFINITY);
  EXPECT_EQ(samples[4].value, -0.5);
  EXPECT_EQ(samples[5].value, 3.0);
  EXPECT_EQ(samples[6].value, 0.25);
  EXPECT_EQ(samples[7].value, 1000.0);
  EXPECT_EQ(samples[8].value, 7.0);
}

TEST(PrometheusText, ValueSyntaxFollowsGoParseFloat) {
  for (const char* good :
       {"0", "1.5", "-2", "+3", "1e-3", "1.", "nan", "NAN", "inf", "-infinity", "0X1P-2"}) {
    EXPECT_TRUE(parse_prometheus_value(good).has_value()) << good;
  }
  for (const char* bad : {"", "+", "-", "1,5", "1.5W", "0x10", "+NaN", "-nan", "nan(1)", "--1",
                          "+-1", "infinit", "0x", "1e", "twelve"}) {
    EXPECT_FALSE(parse_prometheus_value(bad).has_value()) << bad;
  }
}

TEST(PrometheusText, WhitespaceBlankLinesCrlfAndTrailingComma) {
  const std::string text =
      "\n   \n\t# TYPE up gauge\r\n"
      "  up { job = \"a\" , instance=\"b\", }\t1 \t 1700000000000  \r\n"
      "down{} 0\n"
      "negative_time 1 -5\n";
  const auto samples = parse_prometheus_samples(text, "ws");
  ASSERT_EQ(samples.size(), 3U);
  EXPECT_EQ(samples[0].name, "up");
  EXPECT_EQ(samples[0].line, 4U);
  EXPECT_EQ(label_of(samples[0], "job"), "a");
  EXPECT_EQ(label_of(samples[0], "instance"), "b");
  EXPECT_EQ(samples[0].timestamp_ms, 1700000000000);
  EXPECT_TRUE(samples[1].labels.empty());
  EXPECT_EQ(samples[2].timestamp_ms, -5);
}

TEST(PrometheusText, LastLineWithoutNewlineIsParsed) {
  const auto samples = parse_prometheus_samples("a 1\nb 2", "tail");
  ASSERT_EQ(samples.size(), 2U);
  EXPECT_EQ(samples[1].name, "b");
  EXPECT_EQ(samples[1].line, 2U);
}

TEST(PrometheusText, HelpWithoutTextAndKeywordAloneAreFine) {
  Recorder recorder;
  parse_prometheus_text("# HELP\n# TYPE\n# HELP x\n# EOF\n", "c", recorder);
  EXPECT_EQ(recorder.events, std::vector<std::string>{"HELP x "});
}

TEST(PrometheusText, ChunkingDoesNotChangeTheResult) {
  for (const char* name : {"a100-mig-k8s.txt", "h100-mig-k8s.txt", "a100-mig-old-namespace.txt",
                           "a30-mig-no-k8s.txt", "full-gpu.txt"}) {
    const std::string text = read_fixture(kFixtures / name);
    Recorder whole;
    parse_prometheus_text(text, name, whole);
    EXPECT_GT(whole.events.size(), 10U) << name;
    for (const std::size_t chunk : {1U, 7U, 100U, 4096U}) {
      Recorder pieces;
      PrometheusTextParser parser(name);
      for (std::size_t at = 0; at < text.size(); at += chunk) {
        parser.feed(std::string_view(text).substr(at, chunk), pieces);
      }
      parser.finish(pieces);
      EXPECT_EQ(pieces.events, whole.events) << name << " in chunks of " << chunk;
    }
  }
}

TEST(PrometheusText, ResetStartsAFreshPayload) {
  PrometheusTextParser parser("again");
  Recorder first;
  parser.feed("# TYPE a gauge\na 1\npartial", first);
  parser.reset();
  Recorder second;
  parser.feed("# TYPE a gauge\na 2\n", second);  // no "second TYPE line" after reset
  parser.finish(second);
  EXPECT_EQ(second.events, (std::vector<std::string>{"TYPE a gauge", "2 a{} 2"}));
  EXPECT_EQ(parser.samples(), 1U);
}

TEST(PrometheusText, FixtureFamiliesAreDcgmFields) {
  const auto samples = parse_prometheus_samples(read_fixture(kFixtures / "h100-mig-k8s.txt"), "h");
  ASSERT_FALSE(samples.empty());
  for (const auto& sample : samples) {
    EXPECT_EQ(sample.name.rfind("DCGM_FI_", 0), 0U) << sample.name;
    EXPECT_EQ(label_of(sample, "UUID"), "GPU-58e8f5ea-13cc-013a-d88f-2bcf5ae8bc77");
    EXPECT_EQ(label_of(sample, "pci_bus_id"), "00000000:1A:00.0");
    EXPECT_FALSE(sample.timestamp_ms.has_value());
  }
}

struct MalformedCase {
  const char* file;
  std::size_t line;
  const char* column;
  const char* reason_part;
};

TEST(PrometheusText, MalformedFixturesNameSourceLineAndColumn) {
  // Columns are 1-based byte offsets of the offending token (the opening quote of an
  // unterminated value, the first byte of a bad value).
  const MalformedCase cases[] = {
      {"unterminated-label-value.txt", 3, "91", "unterminated label value"},
      {"bad-escape.txt", 1, "59", "invalid escape sequence '\\t'"},
      {"bad-value.txt", 1, "54", "invalid value '61,0'"},
      {"bad-timestamp.txt", 1, "59", "invalid timestamp '1700000000.5'"},
      {"duplicate-label.txt", 1, "53", "duplicate label 'gpu'"},
      {"second-type.txt", 2, "1", "second TYPE line for metric 'DCGM_FI_DEV_POWER_USAGE'"},
      {"unknown-type.txt", 1, "32", "unknown metric type 'thermometer'"},
      {"unterminated-label-set.txt", 1, "24", "unterminated label set"},
      {"html-error-page.txt", 1, "1", "invalid metric name starting '<!DOCTYPE'"},
      {"truncated.txt", 5, "163", "unterminated label value"},
  };
  for (const MalformedCase& c : cases) {
    const std::string source = "http://node-7:9400/metrics";
    const std::string text = read_fixture(kFixtures / "malformed" / c.file);
    const LocatedError e = parse_error(text, source);
    EXPECT_EQ(e.file(), source) << c.file;
    EXPECT_EQ(e.line(), c.line) << c.file << ": " << e.what();
    EXPECT_EQ(e.column(), c.column) << c.file << ": " << e.what();
    EXPECT_NE(e.reason().find(c.reason_part), std::string::npos) << c.file << ": " << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(source + ":" + std::to_string(c.line) + ": column ", 0),
              0U)
        << e.what();
  }
}

TEST(PrometheusText, RejectsWhatTheFormatForbids) {
  EXPECT_NE(parse_error("m{__name__=\"x\"} 1\n").reason().find("reserved"), std::string::npos);
  EXPECT_NE(parse_error("m{l=\"\xff\"} 1\n").reason().find("not UTF-8"), std::string::npos);
  EXPECT_NE(parse_error("m{1l=\"x\"} 1\n").reason().find("invalid label name"), std::string::npos);
  EXPECT_NE(parse_error("m{l:x=\"x\"} 1\n").reason().find("expected '='"), std::string::npos);
  EXPECT_NE(parse_error("m{l=x} 1\n").reason().find("expected '\"'"), std::string::npos);
  EXPECT_NE(parse_error("m{l=\"x\" k=\"y\"} 1\n").reason().find("expected ',' or '}'"),
            std::string::npos);
  EXPECT_NE(parse_error("m\n").reason().find("missing value"), std::string::npos);
  EXPECT_NE(parse_error("m 1 2 3\n").reason().find("after the timestamp"), std::string::npos);
  EXPECT_NE(parse_error("m-x 1\n").reason().find("after the metric name"), std::string::npos);
  EXPECT_NE(parse_error("# TYPE m gauge extra\n").reason().find("after the type"),
            std::string::npos);
  EXPECT_NE(parse_error("# TYPE m\n").reason().find("without a type"), std::string::npos);
  EXPECT_NE(parse_error("# HELP 9m text\n").reason().find("invalid metric name"),
            std::string::npos);
  EXPECT_NE(parse_error("# HELP m a\n# HELP m b\n").reason().find("second HELP"),
            std::string::npos);
  EXPECT_NE(parse_error("# HELP m bad \\x escape\n").reason().find("invalid escape"),
            std::string::npos);
  EXPECT_EQ(parse_error("a 1\nb 2\nc{ 3\n").line(), 3U);
}

TEST(PrometheusText, OverlongLineIsAnErrorNotUnboundedMemory) {
  PrometheusTextParser parser("flood");
  Recorder recorder;
  const std::string chunk(64 * 1024, 'x');
  try {
    for (std::size_t sent = 0; sent <= PrometheusTextParser::kMaxLineBytes; sent += chunk.size()) {
      parser.feed(chunk, recorder);
    }
    FAIL() << "no error for a line longer than the limit";
  } catch (const LocatedError& e) {
    EXPECT_EQ(e.line(), 1U);
    EXPECT_NE(e.reason().find("line longer than"), std::string::npos);
  }
}

TEST(PrometheusText, SampleLabelLookup) {
  PromLabel labels[] = {{"gpu", "0"}, {"UUID", "GPU-x"}};
  PromSample sample;
  sample.labels = labels;
  EXPECT_EQ(sample.label("UUID"), "GPU-x");
  EXPECT_FALSE(sample.label("uuid").has_value());
}

}  // namespace
}  // namespace migpower
