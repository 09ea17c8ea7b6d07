// The default method end to end on the simulator: it converges on a realistic card (non-linear
// power, a noisy sensor, temperature and clocks) from the card's power alone.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "attribution/method_factory.hpp"
#include "eval/evaluation.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

EvaluationReport evaluate_online(const std::string& scenario, double duration_s) {
  SimulationOptions options;
  options.scenario = scenario;
  options.seed = 1;
  options.duration_s = duration_s;
  Simulator source(options);
  return evaluate(source, MethodChoice{}, "scenario " + scenario, nullptr,
                  EvaluationSettings{120.0});
}

TEST(OnlineMethodOnTheSimulator, ConvergesOnTheMixedCard) {
  const EvaluationReport report = evaluate_online("mixed", 1800.0);
  EXPECT_EQ(report.method, "online");
  ASSERT_EQ(report.instances.size(), 4u);
  for (const auto& instance : report.instances) {
    EXPECT_LT(instance.mape_pct, 3.0) << instance.profile << " " << instance.workload;
    EXPECT_LT(std::abs(instance.energy_error_pct), 2.0) << instance.profile;
  }
  EXPECT_LT(report.aggregate_error_pct, 1e-9);
}

TEST(OnlineMethodOnTheSimulator, BeatsTheUtilizationBaselineOnSevenTenants) {
  SimulationOptions options;
  options.scenario = "seven-1g";
  options.duration_s = 1200.0;
  Simulator online_source(options);
  Simulator baseline_source(options);
  MethodChoice baseline;
  baseline.method = "utilization";
  const EvaluationReport online =
      evaluate(online_source, MethodChoice{}, "seven-1g", nullptr, EvaluationSettings{120.0});
  const EvaluationReport utilization =
      evaluate(baseline_source, baseline, "seven-1g", nullptr, EvaluationSettings{120.0});
  EXPECT_LT(online.wape_pct, 2.0);
  EXPECT_LT(online.wape_pct * 3.0, utilization.wape_pct);
}

}  // namespace
}  // namespace migpower
