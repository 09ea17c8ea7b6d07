#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace migpower {

// Prometheus text exposition format 0.0.4, as served on /metrics by dcgm-exporter and every other
// exporter: https://prometheus.io/docs/instrumenting/exposition_formats/

enum class PromMetricType { counter, gauge, histogram, summary, untyped };

[[nodiscard]] std::string_view to_string(PromMetricType type);

struct PromLabel {
  std::string_view name;
  std::string_view value;  // unescaped
};

// One sample line. Every view is valid only during the visitor's call.
struct PromSample {
  std::string_view name;
  std::span<const PromLabel> labels;  // in the order of the line
  double value = 0.0;                 // may be NaN or +-infinity
  std::optional<std::int64_t> timestamp_ms;
  std::size_t line = 0;  // 1-based, for messages of later stages

  // The value of label `name`, or nullopt when the sample has no such label.
  [[nodiscard]] std::optional<std::string_view> label(std::string_view label_name) const;
};

// Receives what the parser finds, in input order.
class PromVisitor {
 public:
  virtual ~PromVisitor() = default;
  virtual void on_sample(const PromSample& sample) = 0;
  virtual void on_help(std::string_view /*metric*/, std::string_view /*text*/) {}
  virtual void on_type(std::string_view /*metric*/, PromMetricType /*type*/) {}
};

// A streaming parser: feed() takes the payload in chunks of any size (as they come off the
// network) and hands each complete line to the visitor; finish() takes the last line when the
// payload does not end in '\n'. Lines are parsed in place (string_view, no regex, no allocation
// per sample once warm). Every error is a LocatedError naming the source (URL or file), the line
// and the 1-based byte column, e.g. "http://node:9400/metrics:12: column 31: ...".
class PrometheusTextParser {
 public:
  // Lines longer than this are an error (a server sending garbage must not exhaust memory).
  static constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;

  explicit PrometheusTextParser(std::string source);

  void feed(std::string_view bytes, PromVisitor& visitor);
  void finish(PromVisitor& visitor);

  // Forgets everything seen, for parsing a new payload with the same parser.
  void reset();

  [[nodiscard]] const std::string& source() const { return source_; }
  [[nodiscard]] std::size_t lines() const { return line_; }
  [[nodiscard]] std::size_t samples() const { return samples_; }

 private:
  void parse_line(std::string_view line, PromVisitor& visitor);
  void parse_comment(std::string_view line, std::size_t pos, PromVisitor& visitor);
  void parse_sample(std::string_view line, std::size_t pos, PromVisitor& visitor);
  std::size_t parse_labels(std::string_view line, std::size_t pos);
  std::size_t parse_label_value(std::string_view line, std::size_t pos, std::string_view& value);
  [[noreturn]] void fail(std::size_t column_index, const std::string& message) const;

  std::string source_;
  std::size_t line_ = 0;  // the line being parsed (1-based), or the last one parsed
  std::size_t samples_ = 0;
  std::string pending_;  // the start of a line split across chunks
  std::vector<PromLabel> labels_;
  std::string unescaped_;  // label values that held escapes; reserved per line, never reallocated
  std::string help_text_;
  std::unordered_set<std::string> typed_;   // metrics with a TYPE line
  std::unordered_set<std::string> helped_;  // metrics with a HELP line
};

// Parses a whole payload in one call.
void parse_prometheus_text(std::string_view text, const std::string& source, PromVisitor& visitor);

// A sample with its own storage, for tests and small tools.
struct OwnedPromSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  double value = 0.0;
  std::optional<std::int64_t> timestamp_ms;
  std::size_t line = 0;
};

// Parses a whole payload into owned samples.
[[nodiscard]] std::vector<OwnedPromSample> parse_prometheus_samples(std::string_view text,
                                                                    const std::string& source);

// Parses a sample value as the format defines it (Go's ParseFloat: decimal or hex float, "NaN",
// "+Inf", "-Inf", "Inf" in any case); nullopt when `text` is not one.
[[nodiscard]] std::optional<double> parse_prometheus_value(std::string_view text);

}  // namespace migpower
