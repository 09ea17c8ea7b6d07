#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sources/live_clock.hpp"
#include "sources/prometheus/http_fetch.hpp"

namespace migpower {

// One series of a range query: its labels (with __name__) and its points, in time order.
struct PromRangeSeries {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::int64_t> times_ms;
  std::vector<double> values;  // NaN, +-Inf as Prometheus gives them
};

// A client of Prometheus' HTTP API (https://prometheus.io/docs/prometheus/latest/querying/api/).
// `base_url` is the server's root, e.g. "http://prometheus:9090" or one behind a path prefix
// ("https://example.org/prometheus").
class PrometheusApi {
 public:
  // Prometheus refuses a range query of more points than this per series.
  static constexpr std::int64_t kMaxPointsPerSeries = 11000;

  PrometheusApi(const std::string& base_url, HttpOptions options,
                LiveClock& clock = system_live_clock());

  // GET /api/v1/query_range for [start, end] (both included) every step, all in milliseconds
  // since the epoch. The answer is read with a SAX parser straight into `out` (reused), so a
  // window costs its points, not a JSON tree. Throws InputError with Prometheus' own error text
  // ("bad_data: parse error ..."), or when the answer is not a matrix.
  void query_range(const std::string& promql, std::int64_t start_ms, std::int64_t end_ms,
                   std::int64_t step_ms, std::vector<PromRangeSeries>& out);

  [[nodiscard]] const std::string& base_url() const { return base_url_; }
  [[nodiscard]] std::size_t requests() const { return requests_; }

 private:
  std::string base_url_;
  std::string path_prefix_;  // the base URL's path, without a trailing '/'
  HttpFetcher fetcher_;
  std::string body_;
  std::size_t requests_ = 0;
};

// Percent-encodes a query parameter (RFC 3986 unreserved characters stay).
[[nodiscard]] std::string url_encode(std::string_view text);

}  // namespace migpower
