#include "attribution/online_frame_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "attribution/attributor.hpp"
#include "attribution/method_factory.hpp"
#include "core/catalog.hpp"
#include "model/synthetic_card.hpp"

namespace migpower {
namespace {

using testing::SyntheticCard;
using testing::SyntheticOptions;

Attributor online_attributor(IdlePolicy policy = IdlePolicy::slices) {
  AttributionOptions options;
  options.idle_policy = policy;
  return Attributor(options, std::make_unique<OnlineFrameModel>());
}

double mean_abs_percentage_error(const std::vector<double>& estimate,
                                 const std::vector<double>& truth) {
  double sum = 0.0;
  for (std::size_t i = 0; i < truth.size(); ++i) sum += std::abs(estimate[i] - truth[i]) / truth[i];
  return 100.0 * sum / static_cast<double>(truth.size());
}

TEST(OnlineMethod, IsTheDefaultAndListedFirst) {
  EXPECT_EQ(MethodChoice{}.method, "online");
  ASSERT_FALSE(attribution_methods().empty());
  EXPECT_EQ(attribution_methods().front().name, "online");
  EXPECT_FALSE(attribution_methods().front().needs_model_file);
  const Attributor attributor = make_attributor(MethodChoice{});
  EXPECT_EQ(attributor.method_name(), "online");
}

// Random frames, sane and not: shares are non-negative, add up to the measured power exactly,
// the static part stays within [0, measured], estimates and uncertainties are finite.
TEST(OnlineMethod, ConservesTheMeasuredPowerOnRandomFrames) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<> unit(0.0, 1.0);
  const std::vector<std::string> profiles = {"1g.5gb",  "2g.10gb", "3g.20gb", "4g.20gb",
                                             "7g.40gb", "1g.10gb", "bogus"};
  for (IdlePolicy policy : {IdlePolicy::slices, IdlePolicy::active, IdlePolicy::none}) {
    Attributor attributor = online_attributor(policy);
    FrameAttribution out;
    double t = 0.0;
    for (int k = 0; k < 3000; ++k) {
      Frame frame;
      t += unit(rng) < 0.05 ? -1.0 : 1.0 + 100.0 * (unit(rng) < 0.01);  // some disorder, gaps
      frame.timestamp_s = t;
      const int card = static_cast<int>(unit(rng) * 3);
      frame.gpu_uuid = "GPU-" + std::to_string(card);
      frame.gpu_model = card == 2 ? "Mystery GPU" : "NVIDIA A100-SXM4-40GB";
      frame.power_w = unit(rng) < 0.1 ? 0.0 : 600.0 * unit(rng) * unit(rng);
      if (unit(rng) < 0.8) frame.sm_clock_mhz = 210.0 + 1200.0 * unit(rng);
      if (unit(rng) < 0.8) frame.temperature_c = 20.0 + 70.0 * unit(rng);
      if (unit(rng) < 0.5) frame.power_limit_w = 400.0;
      const int n = static_cast<int>(unit(rng) * 8);  // 0 to 7 instances
      for (int i = 0; i < n; ++i) {
        InstanceSample instance;
        instance.gpu_i_id = i;
        instance.profile = profiles[static_cast<std::size_t>(unit(rng) * profiles.size())];
        instance.compute_slices = static_cast<int>(unit(rng) * 4);
        for (std::size_t a = 0; a < kActivityCount; ++a) {
          if (unit(rng) < 0.9) instance.activity[a] = unit(rng) < 0.3 ? 0.0 : unit(rng);
        }
        frame.instances.push_back(instance);
      }
      attributor.attribute(frame, out);
      ASSERT_TRUE(out.has_power);
      const double measured = *frame.power_w;
      EXPECT_GE(out.static_w, 0.0);
      EXPECT_LE(out.static_w, measured + 1e-12);
      double sum = out.unattributed_w;
      for (const auto& share : out.shares) {
        EXPECT_GE(share.static_w, 0.0);
        EXPECT_GE(share.dynamic_w, 0.0);
        EXPECT_TRUE(std::isfinite(share.estimate_w) && share.estimate_w >= 0.0);
        EXPECT_TRUE(std::isfinite(share.sd_w) && share.sd_w >= 0.0) << share.sd_w;
        sum += share.power_w;
      }
      EXPECT_NEAR(sum, measured, 1e-9 * std::max(1.0, measured)) << "frame " << k;
    }
  }
}

TEST(OnlineMethod, FirstFrameOfACardFollowsThePrior) {
  Attributor attributor = online_attributor();
  Frame frame;
  frame.gpu_uuid = "GPU-new";
  frame.gpu_model = "NVIDIA A100-SXM4-40GB";
  frame.power_w = 200.0;
  frame.sm_clock_mhz = 1410.0;
  frame.temperature_c = 30.0;
  InstanceSample busy;
  busy.gpu_i_id = 1;
  busy.profile = "3g.20gb";
  busy.compute_slices = 3;
  busy.memory_slices = 4;
  busy.set(Activity::sm, 1.0);
  InstanceSample idle = busy;
  idle.gpu_i_id = 2;
  idle.set(Activity::sm, 0.0);
  frame.instances = {busy, idle};
  FrameAttribution out;
  attributor.attribute(frame, out);
  // Static: the catalog's 55 W, by slices. Dynamic: the rest, all to the busy instance; its
  // unscaled estimate is the prior's 3/4 x (400 - 55) W x its SM share (42 of 108 SMs).
  EXPECT_DOUBLE_EQ(out.static_w, 55.0);
  EXPECT_NEAR(out.shares[0].power_w, 27.5 + 145.0, 1e-9);
  EXPECT_NEAR(out.shares[1].power_w, 27.5, 1e-9);
  EXPECT_NEAR(out.shares[0].estimate_w, 27.5 + 0.75 * 345.0 * 42.0 / 108.0, 1e-9);
  EXPECT_NEAR(out.shares[1].estimate_w, 27.5, 1e-9);
  EXPECT_GT(out.shares[0].sd_w, 5.0);  // it has seen nothing yet, and says so
}

TEST(OnlineMethod, LearnsTheSplitOfASyntheticCard) {
  Attributor attributor = online_attributor();
  SyntheticCard card(SyntheticOptions{});
  Frame frame;
  FrameAttribution out;
  std::vector<double> estimate;
  std::vector<double> truth;
  int within_one_sd = 0;
  int within_two_sd = 0;
  for (int k = 0; card.next(frame); ++k) {
    attributor.attribute(frame, out);
    if (k < 600) continue;
    for (std::size_t i = 0; i < frame.instances.size(); ++i) {
      estimate.push_back(out.shares[i].power_w);
      truth.push_back(*frame.instances[i].truth_power_w);
      const double error = std::abs(estimate.back() - truth.back());
      within_one_sd += error <= out.shares[i].sd_w;
      within_two_sd += error <= 2.0 * out.shares[i].sd_w;
    }
  }
  EXPECT_LT(mean_abs_percentage_error(estimate, truth), 1.0);
  // The uncertainty means what it says, roughly: most errors within 1 sd, nearly all within 2.
  const auto n = static_cast<double>(truth.size());
  EXPECT_GT(within_one_sd / n, 0.5);
  EXPECT_LT(within_one_sd / n, 0.97);
  EXPECT_GT(within_two_sd / n, 0.85);
}

TEST(OnlineMethod, CollinearInstancesGetEqualShares) {
  Attributor attributor = online_attributor();
  SyntheticOptions options;
  options.profiles = {"2g.10gb", "2g.10gb", "3g.20gb"};
  options.job_group = {0, 0, 1};
  options.duration_s = 1200.0;
  SyntheticCard card(options);
  Frame frame;
  FrameAttribution out;
  while (card.next(frame)) {
    attributor.attribute(frame, out);
    EXPECT_NEAR(out.shares[0].power_w, out.shares[1].power_w, 1e-9 * out.measured_w);
    EXPECT_NEAR(out.shares[0].sd_w, out.shares[1].sd_w, 1e-9 * out.measured_w);
  }
}

TEST(OnlineMethod, KeepsOneModelPerCardAcrossLayoutChanges) {
  OnlineFrameModel* model = nullptr;
  auto owned = std::make_unique<OnlineFrameModel>();
  model = owned.get();
  Attributor attributor(AttributionOptions{}, std::move(owned));
  Frame frame;
  FrameAttribution out;

  SyntheticOptions first;
  first.duration_s = 2400.0;
  SyntheticOptions other_card = first;
  other_card.gpu_uuid = "GPU-other";
  other_card.seed = 2;
  SyntheticCard card(first);
  SyntheticCard neighbour(other_card);
  Frame neighbour_frame;
  while (card.next(frame)) {  // two cards, interleaved
    attributor.attribute(frame, out);
    ASSERT_TRUE(neighbour.next(neighbour_frame));
    attributor.attribute(neighbour_frame, out);
  }
  const OnlineDisaggregator* learnt = model->card_model("GPU-synthetic");
  ASSERT_NE(learnt, nullptr);
  ASSERT_NE(model->card_model("GPU-other"), nullptr);
  EXPECT_NE(learnt, model->card_model("GPU-other"));
  EXPECT_EQ(learnt->frames_learnt(), 2400u);

  // The same card re-partitioned: new instances, same silicon, so the same coefficients serve
  // at once: the new layout's shares are right from its first minute.
  SyntheticOptions relaid = first;
  relaid.seed = 3;
  relaid.profiles = {"4g.20gb", "2g.10gb", "1g.5gb"};
  relaid.job_group = {0, 1, 2};
  relaid.start_timestamp_s = first.start_timestamp_s + first.duration_s;
  relaid.duration_s = 60.0;
  SyntheticCard relaid_card(relaid);
  std::vector<double> estimate;
  std::vector<double> truth;
  while (relaid_card.next(frame)) {
    attributor.attribute(frame, out);
    for (std::size_t i = 0; i < frame.instances.size(); ++i) {
      estimate.push_back(out.shares[i].power_w);
      truth.push_back(*frame.instances[i].truth_power_w);
    }
  }
  EXPECT_EQ(model->card_model("GPU-synthetic"), learnt);
  EXPECT_EQ(learnt->frames_learnt(), 2460u);
  EXPECT_LT(mean_abs_percentage_error(estimate, truth), 2.0);
}

TEST(OnlineMethod, AFrameWithoutPowerIsNeitherSplitNorLearnt) {
  auto owned = std::make_unique<OnlineFrameModel>();
  OnlineFrameModel* model = owned.get();
  Attributor attributor(AttributionOptions{}, std::move(owned));
  SyntheticCard card(SyntheticOptions{});
  Frame frame;
  FrameAttribution out;
  ASSERT_TRUE(card.next(frame));
  attributor.attribute(frame, out);
  ASSERT_TRUE(card.next(frame));
  frame.power_w.reset();
  attributor.attribute(frame, out);
  EXPECT_FALSE(out.has_power);
  EXPECT_TRUE(out.shares.empty());
  EXPECT_EQ(model->card_model("GPU-synthetic")->frames_learnt(), 1u);
}

}  // namespace
}  // namespace migpower
