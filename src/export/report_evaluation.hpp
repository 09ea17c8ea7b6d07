#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "attribution/attributor.hpp"
#include "core/frame.hpp"
#include "core/shares.hpp"
#include "export/report_decimate.hpp"

namespace migpower {

// `migpower evaluate --format html`: per method, each instance's attributed power against its
// ground truth over time, and the distribution of the errors, beside the scores.

// What one method's run looked like, frame by frame, reduced for drawing.
struct EvaluationSeries {
  std::vector<std::string> labels;  // per instance: "GPU_UUID/GPU_I_ID profile workload"
  DecimatedSeries power;            // columns: estimate of instance i at 2i, truth at 2i + 1
  // Errors (attributed - truth, W) of the scored frames, in fixed bins of kBinW from -kRangeW:
  // the counts, and how many fell below or above the range.
  static constexpr double kBinW = 0.5;
  static constexpr double kRangeW = 500.0;
  std::vector<std::size_t> error_counts;
  std::size_t errors_below = 0;
  std::size_t errors_above = 0;
  std::size_t errors = 0;
  std::size_t frames = 0;
};

// Collects an EvaluationSeries from attributed frames. Frames within warmup_s of their card's
// first frame are drawn but their errors are not counted, as evaluate does not score them.
class EvaluationSeriesRecorder {
 public:
  EvaluationSeriesRecorder(double warmup_s, std::size_t max_points);
  void add(const Frame& frame, const FrameAttribution& attribution);
  [[nodiscard]] EvaluationSeries finish() const;

 private:
  struct Instance {
    std::string gpu_uuid;
    int gpu_i_id = 0;
    std::string profile;
    std::string label;
  };
  std::size_t column_of(const Frame& frame, const InstanceSample& sample);

  double warmup_s_;
  SeriesMinMaxDecimator power_;
  std::vector<Instance> instances_;
  std::vector<std::pair<std::string, double>> first_s_;  // per card
  std::vector<double> row_;
  EvaluationSeries series_;
};

// Attributes every frame of `frames` with `attributor` (a fresh one: it learns as it goes) and
// records what it gave against the truth.
[[nodiscard]] EvaluationSeries record_evaluation_series(FrameSource& frames, Attributor attributor,
                                                        double warmup_s,
                                                        std::size_t max_points = 2000);

// One method on the page: its scores as `evaluation_json` (eval/evaluation.hpp) writes them, and
// what it looked like.
struct EvaluationPageMethod {
  nlohmann::json scores;
  EvaluationSeries series;
};

void write_evaluation_html(std::ostream& out, std::span<const EvaluationPageMethod> methods);

}  // namespace migpower
