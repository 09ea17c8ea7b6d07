#include "sources/prometheus/prometheus_api.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "sources/prometheus/prometheus_text.hpp"

namespace migpower {
namespace {

using Json = nlohmann::json;

// Milliseconds as the API's decimal seconds: 1763000000250 -> "1763000000.250".
std::string seconds_param(std::int64_t ms) {
  const std::int64_t whole = ms / 1000;
  const std::int64_t rest = ms % 1000;
  char text[40];
  std::snprintf(text, sizeof(text), "%lld.%03lld", static_cast<long long>(whole),
                static_cast<long long>(rest < 0 ? -rest : rest));
  return text;
}

// Reads {"status":..., "data":{"resultType":"matrix","result":[{"metric":{...},
// "values":[[t,"v"],...]},...]}} as SAX events into series, without building a JSON tree.
class MatrixReader {
 public:
  explicit MatrixReader(std::vector<PromRangeSeries>& out) : out_(out) {}

  bool null() { return scalar(); }
  bool boolean(bool /*value*/) { return scalar(); }
  bool number_integer(Json::number_integer_t value) { return number(static_cast<double>(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return number(static_cast<double>(value)); }
  bool number_float(Json::number_float_t value, const Json::string_t& /*text*/) {
    return number(value);
  }
  bool binary(Json::binary_t& /*value*/) { return scalar(); }

  bool string(Json::string_t& value) {
    switch (where()) {
      case Node::top:
        if (key_ == "status") status_ = value;
        if (key_ == "errorType") error_type_ = value;
        if (key_ == "error") error_ = value;
        return true;
      case Node::data:
        if (key_ == "resultType") result_type_ = value;
        return true;
      case Node::metric:
        current().labels.emplace_back(key_, std::move(value));
        return true;
      case Node::point:
        if (point_index_++ != 1) return fail("a point's time is not a number");
        if (const auto number = parse_prometheus_value(value)) {
          current().values.push_back(*number);
          return true;
        }
        return fail("a point's value '" + value + "' is not a number");
      default:
        return true;
    }
  }

  bool start_object(std::size_t /*size*/) {
    Node node = Node::other;
    if (stack_.empty()) {
      node = Node::top;
    } else if (where() == Node::top && key_ == "data") {
      node = Node::data;
    } else if (where() == Node::result) {
      node = Node::series;
      if (used_ == out_.size()) out_.emplace_back();
      PromRangeSeries& series = out_[used_++];
      series.labels.clear();
      series.times_ms.clear();
      series.values.clear();
    } else if (where() == Node::series && key_ == "metric") {
      node = Node::metric;
    }
    stack_.push_back(node);
    key_.clear();
    return true;
  }

  bool key(Json::string_t& value) {
    key_ = std::move(value);
    return true;
  }

  bool end_object() {
    stack_.pop_back();
    return true;
  }

  bool start_array(std::size_t /*size*/) {
    Node node = Node::other;
    if (stack_.empty()) {
      node = Node::other;
    } else if (where() == Node::data && key_ == "result") {
      node = Node::result;
    } else if (where() == Node::series && key_ == "values") {
      node = Node::values;
    } else if (where() == Node::values) {
      node = Node::point;
      point_index_ = 0;
    }
    stack_.push_back(node);
    return true;
  }

  bool end_array() {
    if (where() == Node::point && point_index_ != 2) return fail("a point is not [time, value]");
    stack_.pop_back();
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*last_token*/,
                   const nlohmann::detail::exception& e) {
    failure_ = "not JSON at byte " + std::to_string(position) + " (" + e.what() + ")";
    return false;
  }

  // Drops series storage left over from a bigger earlier answer.
  void finish() { out_.resize(used_); }

  std::string status_;
  std::string error_type_;
  std::string error_;
  std::string result_type_;
  std::string failure_;

 private:
  enum class Node { top, data, result, series, metric, values, point, other };

  [[nodiscard]] Node where() const { return stack_.empty() ? Node::other : stack_.back(); }
  PromRangeSeries& current() { return out_[used_ - 1]; }

  bool scalar() {
    if (where() == Node::point) return fail("a point holds something else than numbers");
    return true;
  }

  bool number(double value) {
    if (where() != Node::point) return true;
    if (point_index_++ != 0 || !std::isfinite(value)) return fail("a point's time is bad");
    current().times_ms.push_back(std::llround(value * 1000.0));
    return true;
  }

  bool fail(std::string message) {
    failure_ = std::move(message);
    return false;
  }

  std::vector<PromRangeSeries>& out_;
  std::size_t used_ = 0;
  std::vector<Node> stack_;
  std::string key_;
  int point_index_ = 0;
};

}  // namespace

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    }
  }
  return out;
}

PrometheusApi::PrometheusApi(const std::string& base_url, HttpOptions options, LiveClock& clock)
    : base_url_(base_url),
      path_prefix_(split_url(base_url).target),
      fetcher_(split_url(base_url).origin, options, clock) {
  const std::size_t query = path_prefix_.find('?');
  if (query != std::string::npos) path_prefix_.resize(query);
  while (!path_prefix_.empty() && path_prefix_.back() == '/') path_prefix_.pop_back();
}

void PrometheusApi::query_range(const std::string& promql, std::int64_t start_ms,
                                std::int64_t end_ms, std::int64_t step_ms,
                                std::vector<PromRangeSeries>& out) {
  const std::string target = path_prefix_ + "/api/v1/query_range?query=" + url_encode(promql) +
                             "&start=" + seconds_param(start_ms) + "&end=" + seconds_param(end_ms) +
                             "&step=" + seconds_param(step_ms);
  const std::string where = base_url_ + " query_range";
  ++requests_;
  try {
    fetcher_.get(
        target, [this] { body_.clear(); }, [this](std::string_view chunk) { body_.append(chunk); });
  } catch (const HttpStatusError& e) {
    // 400 and 422 carry {"status":"error","errorType":...,"error":...}: say what Prometheus said.
    const Json answer = Json::parse(e.body(), nullptr, false);
    if (answer.is_object() && answer.contains("error") && answer["error"].is_string()) {
      throw InputError(where + ": HTTP " + std::to_string(e.status()) + ": " +
                       answer.value("errorType", std::string("error")) + ": " +
                       answer["error"].get<std::string>());
    }
    throw;
  }
  MatrixReader reader(out);
  const bool parsed = Json::sax_parse(body_, &reader);
  reader.finish();
  if (!parsed) throw InputError(where + ": " + reader.failure_);
  if (reader.status_ != "success") {
    throw InputError(
        where + ": Prometheus answered " +
        (reader.status_.empty() ? std::string("no status") : reader.status_) +
        (reader.error_.empty() ? "" : ": " + reader.error_type_ + ": " + reader.error_));
  }
  if (reader.result_type_ != "matrix") {
    throw InputError(where + ": expected a matrix, got '" + reader.result_type_ + "'");
  }
  for (const PromRangeSeries& series : out) {
    if (series.times_ms.size() != series.values.size()) {
      throw InputError(where + ": a series has " + std::to_string(series.times_ms.size()) +
                       " times but " + std::to_string(series.values.size()) + " values");
    }
  }
}

}  // namespace migpower
