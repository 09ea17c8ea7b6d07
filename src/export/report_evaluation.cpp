#include "export/report_evaluation.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "export/report_assets.hpp"
#include "export/report_page.hpp"

namespace migpower {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr int kWattDecimals = 2;
constexpr int kTimeDecimals = 3;
constexpr std::size_t kHistogramBins = 40;
// The histograms of all methods share one range: where the middle 99 % of every method's
// errors fall, so one method's outliers do not squash the others.
constexpr double kTailFraction = 0.005;

std::size_t bin_count() {
  return static_cast<std::size_t>(2.0 * EvaluationSeries::kRangeW / EvaluationSeries::kBinW);
}

nlohmann::json values_json(const std::vector<double>& values, int decimals) {
  nlohmann::json out = nlohmann::json::array();
  for (const double value : values) out.push_back(plot_value(value, decimals));
  return out;
}

// The error at `fraction` of a method's distribution (fine bins, so to kBinW).
double quantile(const EvaluationSeries& series, double fraction) {
  const auto target = static_cast<double>(series.errors) * fraction;
  auto seen = static_cast<double>(series.errors_below);
  if (seen > target) return -EvaluationSeries::kRangeW;
  for (std::size_t i = 0; i < series.error_counts.size(); ++i) {
    seen += static_cast<double>(series.error_counts[i]);
    if (seen > target) {
      return -EvaluationSeries::kRangeW + (static_cast<double>(i) + 0.5) * EvaluationSeries::kBinW;
    }
  }
  return EvaluationSeries::kRangeW;
}

// A round step of at least `raw`: 1, 2 or 5 times a power of ten.
double nice_step(double raw) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
    if (factor * magnitude >= raw) return factor * magnitude;
  }
  return 10.0 * magnitude;
}

struct HistogramRange {
  double low = -1.0;
  double step = 0.05;
};

HistogramRange shared_range(std::span<const EvaluationPageMethod> methods) {
  double low = 0.0;
  double high = 0.0;
  for (const EvaluationPageMethod& method : methods) {
    if (method.series.errors == 0) continue;
    low = std::min(low, quantile(method.series, kTailFraction));
    high = std::max(high, quantile(method.series, 1.0 - kTailFraction));
  }
  const double half = std::max({-low, high, 1.0});  // symmetric: zero error in the middle
  HistogramRange range;
  range.step = std::max(nice_step(2.0 * half / static_cast<double>(kHistogramBins)),
                        EvaluationSeries::kBinW);
  range.low = -range.step * static_cast<double>(kHistogramBins) / 2.0;
  return range;
}

// A method's errors in the shared bins, as a percentage of its scored errors; those beyond the
// range go to the end bins.
std::vector<double> histogram(const EvaluationSeries& series, const HistogramRange& range) {
  std::vector<double> percent(kHistogramBins, 0.0);
  if (series.errors == 0) return percent;
  auto add = [&](double error, std::size_t count) {
    const double position = std::floor((error - range.low) / range.step);
    const auto bin = static_cast<std::size_t>(
        std::clamp(position, 0.0, static_cast<double>(kHistogramBins - 1)));
    percent[bin] += static_cast<double>(count);
  };
  add(-EvaluationSeries::kRangeW - 1.0, series.errors_below);
  add(EvaluationSeries::kRangeW + 1.0, series.errors_above);
  for (std::size_t i = 0; i < series.error_counts.size(); ++i) {
    if (series.error_counts[i] == 0) continue;
    add(-EvaluationSeries::kRangeW + (static_cast<double>(i) + 0.5) * EvaluationSeries::kBinW,
        series.error_counts[i]);
  }
  for (double& value : percent) value *= 100.0 / static_cast<double>(series.errors);
  return percent;
}

double number(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : kNaN;
}

std::string text(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The figures that compare methods, from one method's per-instance scores.
struct Summary {
  double mean_mape = kNaN;
  double worst_mape = kNaN;
  double worst_energy_error = kNaN;
};

Summary summarize_scores(const nlohmann::json& scores) {
  Summary summary;
  const auto it = scores.find("instances");
  if (it == scores.end() || !it->is_array() || it->empty()) return summary;
  double sum = 0.0;
  summary.worst_mape = 0.0;
  summary.worst_energy_error = 0.0;
  for (const nlohmann::json& instance : *it) {
    const double mape = number(instance, "mape_pct");
    const double energy = number(instance, "energy_error_pct");
    sum += mape;
    summary.worst_mape = std::max(summary.worst_mape, mape);
    if (std::abs(energy) > std::abs(summary.worst_energy_error)) {
      summary.worst_energy_error = energy;
    }
  }
  summary.mean_mape = sum / static_cast<double>(it->size());
  return summary;
}

std::string cell(std::string_view column, double value, int decimals) {
  return fmt::format("<td data-column=\"{}\">{}</td>", column,
                     std::isfinite(value) ? fixed(value, decimals) : std::string("n/a"));
}

std::string compare_table(std::span<const EvaluationPageMethod> methods) {
  std::string html =
      "<table class=\"compare\" id=\"compare\">\n<thead><tr><th>method</th>"
      "<th data-column=\"mean_mape_pct\">mean MAPE %</th>"
      "<th data-column=\"worst_mape_pct\">worst MAPE %</th>"
      "<th data-column=\"wape_pct\">WAPE %</th>"
      "<th data-column=\"wape_before_pct\">WAPE before scaling %</th>"
      "<th data-column=\"aggregate_error_pct\">aggregate error %</th>"
      "<th data-column=\"worst_energy_error_pct\">worst energy error %</th>"
      "</tr></thead>\n<tbody>\n";
  for (const EvaluationPageMethod& method : methods) {
    const Summary summary = summarize_scores(method.scores);
    html += fmt::format("<tr data-method=\"{0}\"><td>{0}</td>",
                        html_escape(text(method.scores, "method")));
    html += cell("mean_mape_pct", summary.mean_mape, 2);
    html += cell("worst_mape_pct", summary.worst_mape, 2);
    html += cell("wape_pct", number(method.scores, "wape_pct"), 2);
    html += cell("wape_before_pct", number(method.scores, "wape_before_pct"), 2);
    html += cell("aggregate_error_pct", number(method.scores, "aggregate_error_pct"), 4);
    html += cell("worst_energy_error_pct", summary.worst_energy_error, 2);
    html += "</tr>\n";
  }
  return html + "</tbody>\n</table>\n";
}

std::string instance_table(const nlohmann::json& scores) {
  std::string html =
      "<table class=\"instances\">\n<thead><tr><th>instance</th><th>workload</th>"
      "<th>MAPE %</th><th>before scaling %</th><th>RMSE W</th><th>MAE W</th>"
      "<th>energy error %</th></tr></thead>\n<tbody>\n";
  const auto it = scores.find("instances");
  if (it != scores.end() && it->is_array()) {
    // The card is named only when there is more than one.
    const bool one_card = std::all_of(it->begin(), it->end(), [&](const nlohmann::json& i) {
      return text(i, "gpu_uuid") == text(it->front(), "gpu_uuid");
    });
    for (const nlohmann::json& instance : *it) {
      const std::string card = one_card ? std::string() : text(instance, "gpu_uuid") + "/";
      html +=
          fmt::format("<tr><td>{}gi {} {}</td><td class=\"text\">{}</td>", html_escape(card),
                      instance.value("gpu_i_id", 0), html_escape(text(instance, "gpu_i_profile")),
                      html_escape(text(instance, "workload")));
      html += cell("mape_pct", number(instance, "mape_pct"), 2);
      html += cell("mape_before_pct", number(instance, "mape_before_pct"), 2);
      html += cell("rmse_w", number(instance, "rmse_w"), 2);
      html += cell("mae_w", number(instance, "mae_w"), 2);
      html += cell("energy_error_pct", number(instance, "energy_error_pct"), 2);
      html += "</tr>\n";
    }
  }
  return html + "</tbody>\n</table>\n";
}

nlohmann::json lines_plot(const EvaluationSeries& series) {
  const DecimatedSeries& power = series.power;
  const double t0 = power.t.empty() ? 0.0 : power.t.front();
  nlohmann::json t = nlohmann::json::array();
  for (const double time : power.t) t.push_back(plot_value(time - t0, kTimeDecimals));
  nlohmann::json lines = nlohmann::json::array();
  for (std::size_t i = 0; i < series.labels.size(); ++i) {
    for (const bool truth : {false, true}) {
      const std::size_t column = 2 * i + (truth ? 1 : 0);
      lines.push_back({{"label", series.labels[i] + (truth ? " (truth)" : " (attributed)")},
                       {"colour", i},
                       {"dashed", truth},
                       {"values", values_json(column < power.columns.size() ? power.columns[column]
                                                                            : std::vector<double>{},
                                              kWattDecimals)}});
    }
  }
  return {{"kind", "lines"}, {"t0", t0}, {"t", std::move(t)}, {"series", std::move(lines)}};
}

nlohmann::json histogram_plot(const EvaluationSeries& series, const HistogramRange& range,
                              std::size_t colour) {
  nlohmann::json x = nlohmann::json::array();
  for (std::size_t i = 0; i < kHistogramBins; ++i) {
    x.push_back(plot_value(range.low + (static_cast<double>(i) + 0.5) * range.step, 4));
  }
  return {{"kind", "histogram"},
          {"xlabel", "attributed − true power, W"},
          {"unit", "% of frames"},
          {"x", std::move(x)},
          {"series",
           {{{"label", "scored instance-frames"},
             {"colour", colour},
             {"values", values_json(histogram(series, range), 3)}}}}};
}

}  // namespace

EvaluationSeriesRecorder::EvaluationSeriesRecorder(double warmup_s, std::size_t max_points)
    : warmup_s_(warmup_s), power_(max_points) {
  series_.error_counts.assign(bin_count(), 0);
}

std::size_t EvaluationSeriesRecorder::column_of(const Frame& frame, const InstanceSample& sample) {
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    const Instance& instance = instances_[i];
    if (instance.gpu_i_id == sample.gpu_i_id && instance.profile == sample.profile &&
        instance.gpu_uuid == frame.gpu_uuid) {
      return i;
    }
  }
  std::string label = "gi " + std::to_string(sample.gpu_i_id) + " " + sample.profile;
  if (!sample.workload.empty()) label += " " + sample.workload;
  instances_.push_back(Instance{frame.gpu_uuid, sample.gpu_i_id, sample.profile, label});
  return instances_.size() - 1;
}

void EvaluationSeriesRecorder::add(const Frame& frame, const FrameAttribution& attribution) {
  ++series_.frames;
  if (!attribution.has_power) return;
  bool warming_up = false;
  if (warmup_s_ > 0.0) {
    auto it = std::find_if(first_s_.begin(), first_s_.end(),
                           [&](const auto& entry) { return entry.first == frame.gpu_uuid; });
    if (it == first_s_.end()) {
      first_s_.emplace_back(frame.gpu_uuid, frame.timestamp_s);
      it = first_s_.end() - 1;
    }
    warming_up = frame.timestamp_s - it->second < warmup_s_;
  }
  std::fill(row_.begin(), row_.end(), kNaN);
  for (std::size_t i = 0; i < frame.instances.size() && i < attribution.shares.size(); ++i) {
    const InstanceSample& sample = frame.instances[i];
    const std::size_t column = column_of(frame, sample);
    if (row_.size() < 2 * column + 2) row_.resize(2 * column + 2, kNaN);
    const double attributed = attribution.shares[i].power_w;
    row_[2 * column] = attributed;
    if (!sample.truth_power_w) continue;
    row_[2 * column + 1] = *sample.truth_power_w;
    if (warming_up) continue;
    const double error = attributed - *sample.truth_power_w;
    if (!std::isfinite(error)) continue;
    ++series_.errors;
    if (error < -EvaluationSeries::kRangeW) {
      ++series_.errors_below;
    } else if (error >= EvaluationSeries::kRangeW) {
      ++series_.errors_above;
    } else {
      const auto bin =
          static_cast<std::size_t>((error + EvaluationSeries::kRangeW) / EvaluationSeries::kBinW);
      ++series_.error_counts[std::min(bin, series_.error_counts.size() - 1)];
    }
  }
  power_.add(frame.timestamp_s, row_);
}

EvaluationSeries EvaluationSeriesRecorder::finish() const {
  EvaluationSeries series = series_;
  // Labels name the card only when there is more than one.
  const bool one_card = std::all_of(instances_.begin(), instances_.end(), [&](const Instance& i) {
    return i.gpu_uuid == instances_.front().gpu_uuid;
  });
  for (const Instance& instance : instances_) {
    series.labels.push_back(one_card ? instance.label
                                     : instance.gpu_uuid.substr(0, 12) + " " + instance.label);
  }
  series.power = power_.finish();
  return series;
}

EvaluationSeries record_evaluation_series(FrameSource& frames, Attributor attributor,
                                          double warmup_s, std::size_t max_points) {
  EvaluationSeriesRecorder recorder(warmup_s, max_points);
  Frame frame;
  FrameAttribution attribution;
  while (frames.next(frame)) {  // one frame per pass; the source ends
    attributor.attribute(frame, attribution);
    recorder.add(frame, attribution);
  }
  return recorder.finish();
}

void write_evaluation_html(std::ostream& out, std::span<const EvaluationPageMethod> methods) {
  const nlohmann::json first = methods.empty() ? nlohmann::json::object() : methods[0].scores;
  const std::string source = text(first, "source");
  const double warmup_s = number(first, "warmup_s");
  std::string body = "<header><h1>Attribution against the truth</h1>\n<dl class=\"facts\">\n";
  body += fmt::format("<dt>Source</dt><dd>{}</dd>\n", html_escape(source));
  body += fmt::format("<dt>Idle policy</dt><dd>{}</dd>\n", html_escape(text(first, "idle_policy")));
  body += fmt::format(
      "<dt>Scored</dt><dd>{} frames ({} with truth) after a {} s warm-up; the plots show every "
      "frame, the warm-up included</dd>\n",
      static_cast<long long>(number(first, "frames")),
      static_cast<long long>(number(first, "frames_with_truth")),
      std::isfinite(warmup_s) ? fmt::format("{:g}", warmup_s) : "0");
  body += "</dl>\n</header>\n<main>\n<section><h2>Methods compared</h2>\n";
  body += compare_table(methods);
  body += "</section>\n";

  const HistogramRange range = shared_range(methods);
  nlohmann::json plots = nlohmann::json::array();
  for (std::size_t m = 0; m < methods.size(); ++m) {
    const EvaluationPageMethod& method = methods[m];
    const std::string name = text(method.scores, "method");
    const std::size_t drawn = method.series.power.t.size();
    body += fmt::format("<section class=\"method\" data-method=\"{0}\"><h2>{0}</h2>\n",
                        html_escape(name));
    body += fmt::format(
        "<figure class=\"plot-figure\"><figcaption>Attributed (solid) and true (dashed) power, "
        "W</figcaption><div class=\"plot\" data-plot=\"{}\"></div><p class=\"note\">{} points "
        "drawn of {} frames (min–max decimation per line).</p></figure>\n",
        plots.size(), drawn, method.series.frames);
    plots.push_back(lines_plot(method.series));
    body += "<div class=\"pair\">\n";
    body += fmt::format(
        "<figure class=\"plot-figure\"><figcaption>Error distribution, scored frames, every "
        "instance</figcaption><div class=\"plot\" data-plot=\"{}\"></div><p class=\"note\">{} "
        "errors; the end bins hold everything beyond them.</p></figure>\n",
        plots.size(), method.series.errors);
    plots.push_back(histogram_plot(method.series, range, m));
    body += "<div class=\"table-scroll\">" + instance_table(method.scores) + "</div>\n</div>\n";
    body += "</section>\n";
  }
  body += "</main>\n";
  body += fmt::format(
      "<footer>Made by migpower 0.1.0 with uPlot {} (MIT licence), both inlined: this page "
      "loads nothing from anywhere.</footer>",
      report_uplot_version());
  write_html_page(out, "migpower evaluation: " + source, body,
                  nlohmann::json{{"page", "evaluation"}, {"plots", std::move(plots)}});
}

}  // namespace migpower
