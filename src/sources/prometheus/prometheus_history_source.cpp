#include "sources/prometheus/prometheus_history_source.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace migpower {
namespace {

// A UUID as a RE2 literal inside a PromQL string: regex metacharacters get a backslash, and the
// string doubles every backslash and escapes quotes.
std::string regex_literal(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (std::string_view(".+*?()[]{}|^$\\").find(c) != std::string_view::npos) out += "\\\\";
    if (c == '"') out += '\\';
    out += c;
  }
  return out;
}

std::string selector_for(const std::vector<std::string>& gpus) {
  std::string names;
  for (const std::string_view name : DcgmExporterFrames::field_names()) {
    if (!names.empty()) names += '|';
    names += name;
  }
  const std::string base = "__name__=~\"" + names + "\"";
  if (gpus.empty()) return "{" + base + "}";
  std::string uuids;
  for (const std::string& gpu : gpus) {
    if (!uuids.empty()) uuids += '|';
    uuids += regex_literal(gpu);
  }
  // dcgm-exporter names the card UUID, or uuid with --use-old-namespace.
  return "{" + base + ",UUID=~\"" + uuids + "\"} or {" + base + ",uuid=~\"" + uuids + "\"}";
}

}  // namespace

PrometheusHistorySource::PrometheusHistorySource(PrometheusHistoryOptions options)
    : options_(std::move(options)),
      api_(options_.url, options_.http,
           options_.clock != nullptr ? *options_.clock : system_live_clock()),
      mapper_(options_.url) {
  if (!std::isfinite(options_.from_s) || !std::isfinite(options_.to_s) ||
      options_.to_s < options_.from_s) {
    throw InputError("the time range must run forwards (--from before --to)");
  }
  if (!std::isfinite(options_.step_s) || options_.step_s < 0.001) {
    throw InputError("the step must be at least 1 ms");
  }
  if (options_.points_per_request < 1 ||
      options_.points_per_request > static_cast<std::size_t>(PrometheusApi::kMaxPointsPerSeries)) {
    throw InputError("points per request must be 1 to " +
                     std::to_string(PrometheusApi::kMaxPointsPerSeries));
  }
  from_ms_ = std::llround(options_.from_s * 1000.0);
  step_ms_ = std::llround(options_.step_s * 1000.0);
  steps_total_ = (std::llround(options_.to_s * 1000.0) - from_ms_) / step_ms_ + 1;
  const auto per_window = static_cast<std::int64_t>(options_.points_per_request);
  windows_total_ = static_cast<std::size_t>((steps_total_ + per_window - 1) / per_window);
  query_ = selector_for(options_.gpus);
}

bool PrometheusHistorySource::wanted(const std::string& uuid) const {
  return options_.gpus.empty() ||
         std::find(options_.gpus.begin(), options_.gpus.end(), uuid) != options_.gpus.end();
}

bool PrometheusHistorySource::fetch_next_window() {
  if (window_ == windows_total_) return false;
  const auto per_window = static_cast<std::int64_t>(options_.points_per_request);
  window_first_step_ = static_cast<std::int64_t>(window_) * per_window;
  window_end_step_ = std::min(window_first_step_ + per_window, steps_total_);
  api_.query_range(query_, from_ms_ + window_first_step_ * step_ms_,
                   from_ms_ + (window_end_step_ - 1) * step_ms_, step_ms_, series_);
  ++window_;
  step_ = window_first_step_;
  cursor_.assign(series_.size(), 0);
  labels_.resize(series_.size());
  names_.assign(series_.size(), std::string_view{});
  for (std::size_t i = 0; i < series_.size(); ++i) {
    labels_[i].clear();
    for (const auto& [name, value] : series_[i].labels) {
      if (name == "__name__") {
        names_[i] = value;
      } else {
        labels_[i].push_back({name, value});
      }
    }
  }
  return true;
}

void PrometheusHistorySource::build_step() {
  const std::int64_t t = from_ms_ + step_ * step_ms_;
  mapper_.begin(static_cast<double>(t) / 1000.0);
  for (std::size_t i = 0; i < series_.size(); ++i) {
    const auto& times = series_[i].times_ms;
    std::size_t& c = cursor_[i];
    while (c < times.size() && times[c] < t) ++c;
    if (c == times.size() || times[c] != t) continue;
    PromSample sample;
    sample.name = names_[i];
    sample.labels = labels_[i];
    sample.value = series_[i].values[c];
    mapper_.on_sample(sample);
  }
  mapper_.finish(ready_);
  if (!options_.gpus.empty()) {
    std::erase_if(ready_, [this](const Frame& frame) { return !wanted(frame.gpu_uuid); });
  }
  ready_pos_ = 0;
  ++step_;
}

bool PrometheusHistorySource::next(Frame& out) {
  while (ready_pos_ == ready_.size()) {
    if (step_ == window_end_step_) {
      if (!fetch_next_window()) return false;
      continue;
    }
    build_step();
  }
  std::swap(out, ready_[ready_pos_++]);
  return true;
}

}  // namespace migpower
