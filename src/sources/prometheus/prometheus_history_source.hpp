#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "sources/prometheus/dcgm_exporter_frames.hpp"
#include "sources/prometheus/http_fetch.hpp"
#include "sources/prometheus/prometheus_api.hpp"

namespace migpower {

struct PrometheusHistoryOptions {
  std::string url;  // the Prometheus server, e.g. http://prometheus:9090
  double from_s = 0.0;
  double to_s = 0.0;  // included when it falls on a step
  double step_s = 1.0;
  std::vector<std::string> gpus;  // card UUIDs to keep; empty: every card
  // Points per series per request: a window of this many steps is fetched at a time, so memory
  // holds one window whatever the range. At most PrometheusApi::kMaxPointsPerSeries.
  std::size_t points_per_request = 2000;
  HttpOptions http{.connect_timeout_s = 5.0,
                   .read_timeout_s = 60.0,
                   .total_timeout_s = 300.0,
                   .attempts = 4,
                   .backoff_initial_s = 0.5,
                   .backoff_factor = 2.0,
                   .backoff_max_s = 8.0,
                   .max_body_bytes = std::size_t{1} << 30};
  LiveClock* clock = nullptr;  // for back-off sleeps; null: the system clock
};

// Frames from dcgm-exporter series kept in Prometheus: one range query per window of
// points_per_request steps (query_range), each step of a window mapped exactly as a live
// scrape is (DcgmExporterFrames: one power value per card, profiling fields per instance,
// Kubernetes labels as workloads). Frames come in time order, one per card per step that has
// any of the card's series; a step at which Prometheus has nothing (before the exporter ran, a
// gap longer than its lookback) yields no frame. Memory holds one window, so a month streams.
class PrometheusHistorySource : public FrameSource {
 public:
  // Throws InputError for a bad range, step or window size.
  explicit PrometheusHistorySource(PrometheusHistoryOptions options);

  bool next(Frame& out) override;

  // The PromQL selector sent: every DCGM field the mapping reads, for the chosen cards.
  [[nodiscard]] const std::string& query() const { return query_; }
  [[nodiscard]] std::size_t windows_total() const { return windows_total_; }
  [[nodiscard]] std::size_t windows_done() const { return window_; }
  [[nodiscard]] std::int64_t steps_total() const { return steps_total_; }
  [[nodiscard]] std::size_t dropped_values() const { return mapper_.dropped_values(); }
  [[nodiscard]] const std::vector<std::string>& drop_examples() const {
    return mapper_.drop_examples();
  }

 private:
  bool fetch_next_window();
  void build_step();
  [[nodiscard]] bool wanted(const std::string& uuid) const;

  PrometheusHistoryOptions options_;
  PrometheusApi api_;
  std::string query_;
  std::int64_t from_ms_ = 0;
  std::int64_t step_ms_ = 0;
  std::int64_t steps_total_ = 0;
  std::size_t windows_total_ = 0;
  std::size_t window_ = 0;  // windows fetched

  // The current window: its series, a cursor into each, the labels as the mapper sees them.
  std::vector<PromRangeSeries> series_;
  std::vector<std::size_t> cursor_;
  std::vector<std::vector<PromLabel>> labels_;
  std::vector<std::string_view> names_;
  std::int64_t window_first_step_ = 0;
  std::int64_t window_end_step_ = 0;  // past the last
  std::int64_t step_ = 0;             // the next step to build

  DcgmExporterFrames mapper_;
  std::vector<Frame> ready_;
  std::size_t ready_pos_ = 0;
};

}  // namespace migpower
