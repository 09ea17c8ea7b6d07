#include "eval/robustness.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <sstream>
#include <string>

#include "attribution/online_frame_model.hpp"
#include "core/error.hpp"
#include "eval/evaluation.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

TEST(Robustness, DistributionGivesMedianNinetiethPercentileAndWorst) {
  const Distribution odd = distribution({5.0, 1.0, 3.0, 2.0, 4.0});
  EXPECT_DOUBLE_EQ(odd.median, 3.0);
  EXPECT_DOUBLE_EQ(odd.p90, 5.0);  // nearest rank: ceil(0.9 * 5) = 5th
  EXPECT_DOUBLE_EQ(odd.worst, 5.0);
  EXPECT_DOUBLE_EQ(odd.best, 1.0);
  std::vector<double> ten;
  for (int i = 1; i <= 10; ++i) ten.push_back(i);
  const Distribution even = distribution(ten);
  EXPECT_DOUBLE_EQ(even.median, 5.5);
  EXPECT_DOUBLE_EQ(even.p90, 9.0);
  EXPECT_DOUBLE_EQ(even.worst, 10.0);
}

// The CI smoke test of `migpower experiment robustness`: a few short draws, every figure there.
TEST(Robustness, SmokeRunScoresEveryMethodOnEveryDraw) {
  RobustnessOptions options;
  options.scenarios = {"mixed", "capped"};
  options.methods = {"online", "utilization"};
  options.first_draw = 1;  // tuning draws: a smoke test chooses nothing
  options.draws = 2;
  options.duration_s = 300.0;
  options.warmup_s = 60.0;
  const auto runs = run_robustness_experiment(options);
  ASSERT_EQ(runs.size(), 2u * 2u * 2u);
  for (const auto& run : runs) {
    EXPECT_LT(run.aggregate_error_pct, 1e-9) << run.scenario << " " << run.method;
    EXPECT_GT(run.worst_mape_pct, 0.0);
    EXPECT_EQ(run.coverage_1sd_pct.has_value(), run.method == "online");
    if (run.coverage_1sd_pct) {
      EXPECT_LE(*run.coverage_1sd_pct, *run.coverage_2sd_pct);
      EXPECT_GT(*run.coverage_2sd_pct, 0.0);
    }
  }
  // On the mixed card the online model beats a split by activity in every draw.
  for (std::size_t k = 0; k < runs.size(); k += 2) {
    if (runs[k].scenario != "mixed") continue;
    EXPECT_EQ(runs[k].method, "online");
    EXPECT_LT(runs[k].worst_mape_pct, runs[k + 1].worst_mape_pct) << runs[k].draw;
  }
  std::ostringstream out;
  print_robustness_markdown(out, options, runs);
  const std::string text = out.str();
  EXPECT_NE(text.find("draws 1–2"), std::string::npos) << text;
  EXPECT_NE(text.find("| mixed | online | 2 |"), std::string::npos) << text;
  EXPECT_NE(text.find("| all | utilization:GR_ENGINE_ACTIVE | 4 |"), std::string::npos) << text;
}

TEST(Robustness, DrawsChangeThePhysicsAndTheMethodsAreChecked) {
  RobustnessOptions options;
  options.scenarios = {"mixed"};
  options.methods = {"equal"};
  options.first_draw = 5;
  options.draws = 2;
  options.duration_s = 200.0;
  options.warmup_s = 0.0;
  const auto runs = run_robustness_experiment(options);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_NE(runs[0].worst_mape_pct, runs[1].worst_mape_pct);
  options.methods = {"ridge"};  // needs a model file
  EXPECT_THROW((void)run_robustness_experiment(options), InputError);
}

std::vector<Frame> simulate(const std::string& scenario, const std::string& physics, double seconds,
                            std::uint64_t seed) {
  SimulationOptions options;
  options.scenario = scenario;
  options.seed = seed;
  options.duration_s = seconds;
  options.physics = physics;
  Simulator simulator(options);
  std::vector<Frame> frames;
  Frame frame;
  while (simulator.next(frame)) frames.push_back(frame);
  return frames;
}

class Replay final : public FrameSource {
 public:
  explicit Replay(const std::vector<Frame>& frames) : frames_(frames) {}
  bool next(Frame& out) override {
    if (next_ >= frames_.size()) return false;
    out = frames_[next_++];
    return true;
  }

 private:
  const std::vector<Frame>& frames_;
  std::size_t next_ = 0;
};

struct OnlineRun {
  EvaluationReport report;
  double sensor_lag_s = 0.0;
};

OnlineRun run_online(const std::vector<Frame>& frames, const OnlineSettings& settings) {
  AttributionOptions options;
  options.method = SplitMethod::utilization;
  options.idle_policy = IdlePolicy::slices;
  Attributor attributor(options, std::make_unique<OnlineFrameModel>(settings));
  Replay replay(frames);
  OnlineRun run;
  run.report = evaluate(replay, attributor, "online", IdlePolicy::slices, "test", nullptr,
                        EvaluationSettings{120.0});
  const auto* model = dynamic_cast<const OnlineFrameModel*>(attributor.frame_model());
  run.sensor_lag_s = model->card_model(frames.front().gpu_uuid)->sensor_lag_s();
  return run;
}

TEST(OnlineRobustness, LearnsTheSensorsLagAndSplitsBetterForIt) {
  // A 2 s sensor window, and no energy counter (which would make the lag moot).
  auto slow = simulate("mixed", "slow-sensor", 1200.0, 2);
  for (auto& frame : slow) frame.energy_mj.reset();
  const OnlineRun learnt = run_online(slow, OnlineSettings{});
  EXPECT_DOUBLE_EQ(learnt.sensor_lag_s, 2.0);
  OnlineSettings blind;
  blind.learn_sensor_lag = false;
  const OnlineRun ignored = run_online(slow, blind);
  EXPECT_LT(learnt.report.wape_pct, 0.8 * ignored.report.wape_pct)
      << learnt.report.wape_pct << " vs " << ignored.report.wape_pct;
  // A sensor that averages over the frame is found to have (almost) no lag.
  const OnlineRun nominal = run_online(simulate("mixed", "nominal", 1200.0, 2), OnlineSettings{});
  EXPECT_LE(nominal.sensor_lag_s, 0.25);
}

TEST(OnlineRobustness, LearnsFromTheEnergyCounterWhereThereIsOne) {
  const auto slow = simulate("mixed", "slow-sensor", 1200.0, 2);
  const OnlineRun counter = run_online(slow, OnlineSettings{});
  EXPECT_DOUBLE_EQ(counter.sensor_lag_s, 0.0);  // the counter's mean does not lag
  OnlineSettings reading_only;
  reading_only.learn_from_energy_counter = false;
  const OnlineRun reading = run_online(slow, reading_only);
  EXPECT_DOUBLE_EQ(reading.sensor_lag_s, 2.0);
  EXPECT_LT(counter.report.wape_pct, reading.report.wape_pct);
  // Truth within 2 sd of nearly every share: the reading's known gap is in the sd.
  ASSERT_TRUE(counter.report.coverage_2sd_pct.has_value());
  EXPECT_GT(*counter.report.coverage_2sd_pct, 85.0);
  // A counter that resets is not learnt from: the split stays as good as without a counter.
  auto reset = slow;
  for (std::size_t k = 0; k < reset.size(); ++k) {
    if (k % 100 == 50) *reset[k].energy_mj = 1.0;  // a reset now and then
  }
  const OnlineRun with_resets = run_online(reset, OnlineSettings{});
  EXPECT_LT(with_resets.report.wape_pct, 1.2 * counter.report.wape_pct);
}

TEST(OnlineRobustness, ReportsCoverageAndIdentifiabilityPerInstance) {
  const OnlineRun run = run_online(simulate("mixed", "nominal", 900.0, 1), OnlineSettings{});
  ASSERT_TRUE(run.report.coverage_1sd_pct && run.report.coverage_2sd_pct);
  EXPECT_LT(*run.report.coverage_1sd_pct, *run.report.coverage_2sd_pct);
  // Calibrated to about 68 % on nominal physics, not the near-certainty of an over-wide sd.
  EXPECT_GT(*run.report.coverage_1sd_pct, 50.0);
  EXPECT_LT(*run.report.coverage_1sd_pct, 90.0);
  for (const auto& e : run.report.instances) {
    ASSERT_TRUE(e.identifiability.has_value()) << e.gpu_i_id;
    EXPECT_GE(*e.identifiability, 0.0);
    EXPECT_LE(*e.identifiability, 1.0);
    ASSERT_TRUE(e.coverage_2sd_pct.has_value());
  }
  const nlohmann::json json = evaluation_json(run.report);
  EXPECT_TRUE(json["instances"][0]["identifiability"].is_number());
  EXPECT_TRUE(json["coverage_1sd_pct"].is_number());
}

}  // namespace
}  // namespace migpower
