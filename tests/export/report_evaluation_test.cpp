#include "export/report_evaluation.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "attribution/test_frames.hpp"

namespace migpower {
namespace {

// One frame of one instance whose truth is `truth_w` and attributed power `attributed_w`.
struct Step {
  Frame frame;
  FrameAttribution attribution;
};

Step step(double t, double truth_w, double attributed_w, const std::string& uuid = "GPU-a") {
  Step s;
  s.frame = testing::frame(uuid, "NVIDIA A100-SXM4-40GB", attributed_w, t);
  s.frame.instances = {testing::instance(1, "3g.20gb", 3)};
  s.frame.instances[0].truth_power_w = truth_w;
  s.frame.instances[0].workload = "llm";
  s.attribution.has_power = true;
  s.attribution.measured_w = attributed_w;
  s.attribution.shares = {{1, attributed_w, 0.0, attributed_w}};
  return s;
}

std::size_t count_at(const EvaluationSeries& series, double error_w) {
  const auto bin =
      static_cast<std::size_t>((error_w + EvaluationSeries::kRangeW) / EvaluationSeries::kBinW);
  return series.error_counts.at(bin);
}

TEST(EvaluationSeriesRecorder, CountsTheErrorsOfScoredFramesOnly) {
  EvaluationSeriesRecorder recorder(10.0, 100);
  for (int t = 0; t < 30; ++t) {
    const double error = t < 10 ? 50.0 : (t < 25 ? 2.2 : -3.1);  // the warm-up is way off
    const Step s = step(t, 100.0, 100.0 + error);
    recorder.add(s.frame, s.attribution);
  }
  const Step far = step(30, 100.0, 900.0);  // beyond the histogram's range
  recorder.add(far.frame, far.attribution);
  const EvaluationSeries series = recorder.finish();
  EXPECT_EQ(series.frames, 31u);
  EXPECT_EQ(series.errors, 21u);
  EXPECT_EQ(count_at(series, 2.2), 15u);
  EXPECT_EQ(count_at(series, -3.1), 5u);
  EXPECT_EQ(count_at(series, 50.0), 0u);
  EXPECT_EQ(series.errors_above, 1u);
  EXPECT_EQ(series.errors_below, 0u);
  // Every frame is drawn, the warm-up too: attributed and truth of the one instance.
  ASSERT_EQ(series.labels, std::vector<std::string>{"gi 1 3g.20gb llm"});
  ASSERT_EQ(series.power.columns.size(), 2u);
  EXPECT_EQ(series.power.t.size(), 31u);
  EXPECT_EQ(series.power.columns[0].front(), 150.0);
  EXPECT_EQ(series.power.columns[1].front(), 100.0);
}

TEST(EvaluationSeriesRecorder, NamesTheCardWhenThereIsMoreThanOne) {
  EvaluationSeriesRecorder recorder(0.0, 100);
  const Step a = step(0, 10.0, 10.0, "GPU-aaaaaaaa-1111");
  const Step b = step(0, 10.0, 10.0, "GPU-bbbbbbbb-2222");
  recorder.add(a.frame, a.attribution);
  recorder.add(b.frame, b.attribution);
  const EvaluationSeries series = recorder.finish();
  EXPECT_EQ(series.labels, (std::vector<std::string>{"GPU-aaaaaaaa gi 1 3g.20gb llm",
                                                     "GPU-bbbbbbbb gi 1 3g.20gb llm"}));
}

TEST(EvaluationHtml, DrawsATimePlotAndAHistogramPerMethodBesideTheScores) {
  std::vector<EvaluationPageMethod> methods;
  for (const char* name : {"online", "slices"}) {
    EvaluationSeriesRecorder recorder(0.0, 100);
    for (int t = 0; t < 20; ++t) {
      const Step s = step(t, 100.0, name == std::string("online") ? 101.0 : 130.0);
      recorder.add(s.frame, s.attribution);
    }
    nlohmann::json scores = {{"source", "scenario <x>"},
                             {"method", name},
                             {"idle_policy", "slices"},
                             {"frames", 20},
                             {"frames_with_truth", 20},
                             {"warmup_s", 0.0},
                             {"wape_pct", name == std::string("online") ? 1.0 : 30.0},
                             {"wape_before_pct", nullptr},
                             {"aggregate_error_pct", 0.0},
                             {"instances",
                              {{{"gpu_uuid", "GPU-a"},
                                {"gpu_i_id", 1},
                                {"gpu_i_profile", "3g.20gb"},
                                {"workload", "llm"},
                                {"mape_pct", 7.5},
                                {"energy_error_pct", -4.0}}}}};
    methods.push_back({scores, recorder.finish()});
  }
  std::ostringstream out;
  write_evaluation_html(out, methods);
  const std::string html = out.str();
  for (int plot = 0; plot < 4; ++plot) {
    EXPECT_NE(html.find("data-plot=\"" + std::to_string(plot) + "\""), std::string::npos);
  }
  EXPECT_EQ(html.find("data-plot=\"4\""), std::string::npos);
  EXPECT_NE(html.find("<tr data-method=\"slices\"><td>slices</td>"
                      "<td data-column=\"mean_mape_pct\">7.50</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td data-column=\"wape_pct\">30.00</td>"
                      "<td data-column=\"wape_before_pct\">n/a</td>"),
            std::string::npos);
  EXPECT_NE(html.find("scenario &lt;x&gt;"), std::string::npos);
  // One histogram range for both, symmetric about 0 and reaching the slices method's 30 W
  // errors: 40 bins of 2 W from -40 W, the first centred on -39 W.
  std::size_t histograms = 0;
  for (auto at = html.find("\"x\":[-39.0,"); at != std::string::npos;
       at = html.find("\"x\":[-39.0,", at + 1)) {
    ++histograms;
  }
  EXPECT_EQ(histograms, 2u);
}

}  // namespace
}  // namespace migpower
