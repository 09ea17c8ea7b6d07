#include "model/online_disaggregator.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <nlohmann/json.hpp>
#include <vector>

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "model/features.hpp"
#include "model/synthetic_card.hpp"

namespace migpower {
namespace {

using testing::SyntheticCard;
using testing::SyntheticOptions;

const GpuModel& a100() { return *find_gpu_model("A100-SXM4-40GB"); }

// Drives one OnlineDisaggregator with a synthetic card's frames, as the online method does:
// predict from what was learnt before the frame, then learn from its measured power.
class Driver {
 public:
  explicit Driver(SyntheticOptions options)
      : card_(std::move(options)), model_(OnlinePrior::for_card(&a100(), {}, 0.0)) {}

  // Runs frames until `until_s`, calling `check` (if any) with the frame's time after the
  // prediction and before learning.
  void run_until(double until_s, const std::function<void(double)>& check = {}) {
    while (t_ < until_s && card_.next(frame_)) {
      const CardContext context = extractor_.card(frame_);
      StaticFeatureVector psi;
      FeatureExtractor::static_features(context, psi);
      phi_.resize(frame_.instances.size());
      for (std::size_t i = 0; i < phi_.size(); ++i) {
        FeatureExtractor::instance_features(context, frame_.instances[i], phi_[i]);
      }
      model_.begin_frame(psi, phi_, t_ > 0.0 ? 1.0 : 0.0);
      if (check) check(t_);
      model_.learn(*frame_.power_w);
      t_ += 1.0;
    }
  }

  // Mean |estimate - truth| / truth of the instances' dynamic power in the current frame, over
  // busy instances; adds to `sum` and `count`.
  void add_dynamic_errors(double& sum, int& count) const {
    for (std::size_t i = 0; i < phi_.size(); ++i) {
      const double truth = card_.last_dynamic_w()[i];
      if (truth < 5.0) continue;
      sum += std::abs(model_.dynamic_w(i) - truth) / truth;
      ++count;
    }
  }

  OnlineDisaggregator& model() { return model_; }
  const SyntheticCard& card() const { return card_; }

 private:
  SyntheticCard card_;
  OnlineDisaggregator model_;
  FeatureExtractor extractor_;
  Frame frame_;
  std::vector<FeatureVector> phi_;
  double t_ = 0.0;
};

// Mean relative error of the busy instances' dynamic estimates over [from_s, until_s).
double mean_dynamic_error(Driver& driver, double from_s, double until_s) {
  double sum = 0.0;
  int count = 0;
  driver.run_until(until_s, [&](double t) {
    if (t >= from_s) driver.add_dynamic_errors(sum, count);
  });
  EXPECT_GT(count, 30);
  return sum / count;
}

FeatureVector full_card_features(double sm, double dram) {
  FeatureVector phi{};
  phi[static_cast<std::size_t>(ComputeTerm::sm)] = sm;
  phi[kComputeTermCount + static_cast<std::size_t>(ComputeTerm::sm)] = sm;
  phi[2 * kComputeTermCount] = dram;
  return phi;
}

const StaticFeatureVector kCoolFullClock = {1.0, 0.0, 0.0, 1.0};

TEST(OnlinePrior, ComesFromTheCatalogOrTheCardsLimit) {
  const OnlinePrior known = OnlinePrior::for_card(&a100(), 250.0, 100.0);
  EXPECT_DOUBLE_EQ(known.idle_w, 55.0);
  EXPECT_DOUBLE_EQ(known.tdp_w, 400.0);
  const OnlinePrior by_limit = OnlinePrior::for_card(nullptr, 300.0, 100.0);
  EXPECT_DOUBLE_EQ(by_limit.tdp_w, 300.0);
  EXPECT_DOUBLE_EQ(by_limit.idle_w, 45.0);
  const OnlinePrior by_reading = OnlinePrior::for_card(nullptr, std::nullopt, 100.0);
  EXPECT_DOUBLE_EQ(by_reading.tdp_w, 250.0);
  const OnlinePrior nothing = OnlinePrior::for_card(nullptr, std::nullopt, 0.0);
  EXPECT_GT(nothing.tdp_w, nothing.idle_w);
  EXPECT_GT(nothing.idle_w, 0.0);
}

TEST(OnlineDisaggregator, WithNoHistoryGivesThePriorsEstimates) {
  OnlineDisaggregator model(OnlinePrior::for_card(&a100(), {}, 0.0));
  const std::vector<FeatureVector> phi = {full_card_features(1.0, 1.0),
                                          full_card_features(0.5, 0.0), FeatureVector{}};
  model.begin_frame(kCoolFullClock, phi, 0.0);
  EXPECT_DOUBLE_EQ(model.static_w(), 55.0);             // the catalog's idle power
  EXPECT_NEAR(model.dynamic_w(0), 400.0 - 55.0, 1e-9);  // full activity: TDP - idle
  EXPECT_NEAR(model.dynamic_w(1), 0.75 * 0.5 * 345.0, 1e-9);
  EXPECT_DOUBLE_EQ(model.dynamic_w(2), 0.0);  // an idle instance draws no dynamic power
  EXPECT_EQ(model.frames_learnt(), 0u);
  EXPECT_GT(model.dynamic_sd_w(0), 0.1 * model.dynamic_w(0));  // and says it is unsure
}

TEST(OnlineDisaggregator, ConvergesToTheTruePowerFunction) {
  Driver driver(SyntheticOptions{});
  const double early = mean_dynamic_error(driver, 0.0, 60.0);
  const double late = mean_dynamic_error(driver, 1800.0, 3600.0);
  EXPECT_LT(late, 0.02);
  EXPECT_LT(late, early / 3.0);
  EXPECT_NEAR(driver.model().noise_sd_w(), 1.0, 0.3);  // it found the sensor's noise
}

TEST(OnlineDisaggregator, TracksAChangedPowerFunction) {
  SyntheticOptions options;
  options.duration_s = 9000.0;
  options.change_at_s = 3600.0;
  options.change_tensor_factor = 2.0;  // Tensor-core work now costs twice as much
  Driver driver(options);
  const double before = mean_dynamic_error(driver, 1800.0, 3600.0);
  double speedup = 1.0;
  const double just_after = mean_dynamic_error(driver, 3600.0, 3630.0);
  driver.run_until(
      3700.0, [&](double) { speedup = std::max(speedup, driver.model().forgetting_speedup()); });
  const double settled = mean_dynamic_error(driver, 7200.0, 9000.0);
  EXPECT_LT(before, 0.01);
  EXPECT_GT(just_after, 0.1);  // the change was real...
  EXPECT_GT(speedup, 3.0);     // ...and noticed...
  EXPECT_LT(settled, 0.04);    // ...and learnt
  EXPECT_NEAR(driver.model().forgetting_speedup(), 1.0, 0.5);
}

TEST(OnlineDisaggregator, HoursOfIdleStayBoundedThenRecover) {
  SyntheticOptions options;
  options.idle_from_s = 600.0;
  options.idle_until_s = 600.0 + 5 * 3600.0;
  options.duration_s = options.idle_until_s + 1800.0;
  Driver driver(options);
  driver.run_until(600.0);
  const OnlineDisaggregator::Vector learnt = driver.model().coefficients();
  double worst_static_error = 0.0;
  driver.run_until(options.idle_until_s, [&](double t) {
    if (t > 1200.0) {
      worst_static_error = std::max(
          worst_static_error, std::abs(driver.model().static_w() - driver.card().last_static_w()));
    }
  });
  const auto& model = driver.model();
  EXPECT_TRUE(model.coefficients().allFinite());
  EXPECT_TRUE(model.covariance().allFinite());
  for (std::size_t k = 0; k < OnlineDisaggregator::kParameters; ++k) {
    EXPECT_LE(model.covariance()(k, k), model.prior_variance()[k] * (1.0 + 1e-9)) << k;  // bounded
  }
  // Unexcited for hours, the dynamic coefficients drift back towards the prior at most; what
  // was learnt still serves straight after the idle stretch (below), before much is relearnt.
  const auto dynamic = OnlineDisaggregator::kDynamic;
  EXPECT_LT((model.coefficients().tail(dynamic) - learnt.tail(dynamic)).norm(),
            learnt.tail(dynamic).norm());
  EXPECT_LT(worst_static_error, 3.0);  // an idle card is all static: learnt to the noise
  EXPECT_LT(mean_dynamic_error(driver, options.idle_until_s, options.idle_until_s + 300.0), 0.10);
  EXPECT_LT(mean_dynamic_error(driver, options.idle_until_s + 600.0, options.duration_s), 0.03);
}

TEST(OnlineDisaggregator, CollinearInstancesSplitSymmetrically) {
  SyntheticOptions options;
  options.profiles = {"2g.10gb", "2g.10gb", "3g.20gb"};
  options.job_group = {0, 0, 1};  // the first two run the same job in lockstep
  options.duration_s = 1800.0;
  Driver driver(options);
  int checked = 0;
  double error_sum = 0.0;
  int error_count = 0;
  driver.run_until(1800.0, [&](double t) {
    const auto& model = driver.model();
    if (model.dynamic_w(0) <= 0.0) return;
    std::vector<double> sd(3);
    model.share_sd(std::vector<double>{2.0 / 7.0, 2.0 / 7.0, 3.0 / 7.0},
                   std::vector<double>{0.4, 0.4, 0.2}, false, sd);
    EXPECT_DOUBLE_EQ(model.dynamic_w(0), model.dynamic_w(1));
    EXPECT_DOUBLE_EQ(model.dynamic_sd_w(0), model.dynamic_sd_w(1));
    EXPECT_DOUBLE_EQ(sd[0], sd[1]);
    ++checked;
    if (t >= 900.0) driver.add_dynamic_errors(error_sum, error_count);
  });
  EXPECT_GT(checked, 300);
  // Symmetric and right, not just symmetric.
  ASSERT_GT(error_count, 100);
  EXPECT_LT(error_sum / error_count, 0.02);
}

TEST(OnlineDisaggregator, UncertaintyShrinksAsDataArrive) {
  Driver driver(SyntheticOptions{});
  OnlineDisaggregator& model = driver.model();
  const std::vector<FeatureVector> probe = {full_card_features(0.6, 0.5)};
  const auto sd_of_probe = [&] {
    OnlineDisaggregator copy = model;
    copy.begin_frame(kCoolFullClock, probe, 0.0);
    return copy.dynamic_sd_w(0);
  };
  std::vector<double> sds = {sd_of_probe()};
  for (double t : {30.0, 300.0, 1800.0}) {
    driver.run_until(t);
    sds.push_back(sd_of_probe());
  }
  for (std::size_t k = 1; k < sds.size(); ++k) EXPECT_LT(sds[k], sds[k - 1]) << k;
  EXPECT_LT(sds.back(), 0.1 * sds.front());
}

TEST(OnlineDisaggregator, ALoneInstancesShareIsAsUncertainAsTheReading) {
  // One instance takes all the static and all the dynamic power: its share is the measured power,
  // so its uncertainty is the noise alone (through the calibration's factors), whatever the
  // coefficients' uncertainty.
  const OnlineSettings settings;
  OnlineDisaggregator model(OnlinePrior::for_card(&a100(), {}, 0.0), settings);
  const std::vector<FeatureVector> phi = {full_card_features(0.8, 0.4)};
  model.begin_frame(kCoolFullClock, phi, 0.0);
  std::vector<double> sd(1);
  model.share_sd(std::vector<double>{1.0}, std::vector<double>{1.0}, false, sd);
  const double expected = settings.sd_scale * settings.sd_noise_scale * model.noise_sd_w();
  EXPECT_NEAR(sd[0], expected, 1e-6 * expected);
}

TEST(OnlineDisaggregator, IdentifiabilityGrowsWithDataAndIsOneWhenIdle) {
  OnlineDisaggregator model(OnlinePrior::for_card(&a100(), {}, 0.0));
  const std::vector<FeatureVector> phi = {full_card_features(0.8, 0.4), FeatureVector{}};
  model.begin_frame(kCoolFullClock, phi, 0.0);
  EXPECT_DOUBLE_EQ(model.identifiability(0), 0.0);  // all prior
  EXPECT_DOUBLE_EQ(model.identifiability(1), 1.0);  // idle: nothing to split
  Driver driver(SyntheticOptions{});
  driver.run_until(1800.0, [&](double t) {
    if (t < 1799.0) return;
    for (std::size_t i = 0; i < 4; ++i) {
      EXPECT_GT(driver.model().identifiability(i), 0.9) << i;
      EXPECT_LE(driver.model().identifiability(i), 1.0) << i;
    }
  });
}

TEST(OnlineDisaggregator, SavesAndRestoresTheSensorLagToo) {
  Driver driver(SyntheticOptions{});
  driver.run_until(300.0);
  const nlohmann::json saved = driver.model().save();
  ASSERT_TRUE(saved.contains("sensor_lag"));
  OnlineDisaggregator restored(OnlinePrior{100.0, 400.0});
  restored.restore(saved, "state");
  EXPECT_EQ(restored.save(), saved);
  EXPECT_DOUBLE_EQ(restored.sensor_lag_s(), driver.model().sensor_lag_s());
  // A state saved before the sensor lag existed still restores, the lag starting afresh.
  nlohmann::json older = saved;
  older.erase("sensor_lag");
  OnlineDisaggregator from_older(OnlinePrior{100.0, 400.0});
  from_older.restore(older, "state");
  EXPECT_EQ(from_older.coefficients(), driver.model().coefficients());
  EXPECT_DOUBLE_EQ(from_older.sensor_lag_s(), 0.0);
  nlohmann::json broken = saved;
  broken["sensor_lag"]["choice"] = 99;
  EXPECT_THROW(from_older.restore(broken, "state"), InputError);
}

TEST(OnlineDisaggregator, IgnoresANonFiniteReading) {
  OnlineDisaggregator model(OnlinePrior::for_card(&a100(), {}, 0.0));
  const std::vector<FeatureVector> phi = {full_card_features(0.8, 0.4)};
  model.begin_frame(kCoolFullClock, phi, 1.0);
  model.learn(std::nan(""));
  EXPECT_EQ(model.frames_learnt(), 0u);
  EXPECT_TRUE(model.coefficients().allFinite());
  model.begin_frame(kCoolFullClock, phi, 1.0e12);  // a gap of ages: only the prior is left
  EXPECT_TRUE(model.covariance().allFinite());
}

}  // namespace
}  // namespace migpower
