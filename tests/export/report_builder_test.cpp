#include "export/report_builder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace migpower {
namespace {

constexpr double kJoulesPerKwh = 3.6e6;

// Hands out prepared report frames, as a ledger reader would hand out stored buckets.
class FramesSource final : public ReportSource {
 public:
  explicit FramesSource(std::vector<ReportFrame> frames) : frames_(std::move(frames)) {}
  [[nodiscard]] const ReportSourceInfo& info() const override { return info_; }
  bool next(ReportFrame& out) override {
    if (next_ == frames_.size()) return false;
    out = frames_[next_++];
    return true;
  }

 private:
  std::vector<ReportFrame> frames_;
  std::size_t next_ = 0;
  ReportSourceInfo info_{"test", "slices", "none"};
};

ReportInstanceRow row(int id, std::string profile, int slices, std::string workload, double power_w,
                      double interval_s) {
  ReportInstanceRow r;
  r.gpu_i_id = id;
  r.profile = std::move(profile);
  r.compute_slices = slices;
  r.workload = std::move(workload);
  r.power_w = power_w;
  r.static_w = power_w / 4.0;
  r.dynamic_w = power_w - r.static_w;
  r.energy_j = power_w * interval_s;
  r.static_energy_j = r.static_w * interval_s;
  r.dynamic_energy_j = r.dynamic_w * interval_s;
  return r;
}

// An A100 (7 slices) at 1 s frames: a 3g and a 1g both labelled "llm", a 2g with no label, and
// 10 W left unattributed (idle policy none). The first frame closes no interval.
std::vector<ReportFrame> a100_frames(int count, double llm_3g_w = 100.0) {
  std::vector<ReportFrame> frames;
  for (int i = 0; i < count; ++i) {
    const double interval = i == 0 ? 0.0 : 1.0;
    ReportFrame f;
    f.timestamp_s = 1767225600.0 + i;
    f.gpu_uuid = "GPU-a";
    f.gpu_model = "NVIDIA A100-SXM4-40GB";
    f.card_compute_slices = 7;
    f.has_power = true;
    const double big = i == 3 ? 2.0 * llm_3g_w : llm_3g_w;  // one peak
    f.instances = {row(1, "3g.20gb", 3, "llm", big, interval),
                   row(2, "2g.10gb", 2, "", 50.0, interval),
                   row(3, "1g.5gb", 1, "llm", 20.0, interval)};
    f.unattributed_w = 10.0;
    f.card_power_w = big + 50.0 + 20.0 + 10.0;
    f.interval_s = interval;
    f.card_energy_j = f.card_power_w * interval;
    f.unattributed_j = 10.0 * interval;
    frames.push_back(std::move(f));
  }
  return frames;
}

const ReportGroup& group_named(const Report& report, const std::string& name) {
  const auto it = std::find_if(report.groups.begin(), report.groups.end(),
                               [&](const ReportGroup& g) { return g.name == name; });
  if (it == report.groups.end()) throw std::runtime_error("no group " + name);
  return *it;
}

double sum_energy(const Report& report) {
  double sum = 0.0;
  for (const ReportGroup& group : report.groups) sum += group.energy_j;
  return sum;
}

TEST(ReportBuilder, GroupsInstancesByTenantLabelElseByInstance) {
  FramesSource source(a100_frames(11));
  const Report report = build_report(source, ReportSettings{});
  ASSERT_EQ(report.groups.size(), 3u);
  const ReportGroup& llm = group_named(report, "llm");
  EXPECT_EQ(llm.members, (std::vector<std::string>{"GPU-a/1 3g.20gb", "GPU-a/3 1g.5gb"}));
  // 10 intervals of 1 s; the 3g drew 200 W in one of them.
  EXPECT_DOUBLE_EQ(llm.energy_j, 9 * 100.0 + 200.0 + 10 * 20.0);
  EXPECT_DOUBLE_EQ(group_named(report, "GPU-a/2").energy_j, 500.0);
  const ReportGroup& rest = report.groups.back();
  EXPECT_TRUE(rest.unattributed);
  EXPECT_DOUBLE_EQ(rest.energy_j, 100.0);
  // Largest first, the unattributed row last.
  EXPECT_EQ(report.groups.front().name, "llm");
}

TEST(ReportBuilder, GroupEnergiesSumToTheMeasuredEnergyInEveryGrouping) {
  for (const ReportGrouping grouping :
       {ReportGrouping::instance, ReportGrouping::tenant, ReportGrouping::gpu}) {
    FramesSource source(a100_frames(61));
    ReportSettings settings;
    settings.group_by = grouping;
    const Report report = build_report(source, settings);
    ASSERT_EQ(report.cards.size(), 1u);
    EXPECT_DOUBLE_EQ(report.cards[0].energy_j, 60 * 180.0 + 100.0);
    EXPECT_NEAR(sum_energy(report), report.cards[0].energy_j, 1e-9) << to_string(grouping);
    double shares = 0.0;
    for (const ReportGroup& group : report.groups) shares += group.share_pct;
    EXPECT_NEAR(shares, 100.0, 1e-9) << to_string(grouping);
  }
}

TEST(ReportBuilder, ByGpuTheCardsRowHoldsItsUnattributedEnergy) {
  FramesSource source(a100_frames(11));
  ReportSettings settings;
  settings.group_by = ReportGrouping::gpu;
  const Report report = build_report(source, settings);
  ASSERT_EQ(report.groups.size(), 1u);
  EXPECT_EQ(report.groups[0].name, "GPU-a");
  EXPECT_FALSE(report.has_unattributed());
  EXPECT_DOUBLE_EQ(report.groups[0].energy_j, report.cards[0].energy_j);
  EXPECT_DOUBLE_EQ(report.groups[0].peak_power_w, 280.0);
}

TEST(ReportBuilder, PeakAndMeanPowerOfAGroupAreOfItsSummedPower) {
  FramesSource source(a100_frames(11));
  const Report report = build_report(source, ReportSettings{});
  const ReportGroup& llm = group_named(report, "llm");
  EXPECT_DOUBLE_EQ(llm.peak_power_w, 220.0);  // 200 W + 20 W at the same instant
  EXPECT_DOUBLE_EQ(llm.mean_power_w, (10 * 120.0 + 220.0) / 11.0);
  EXPECT_EQ(llm.instants, 11u);
}

TEST(ReportBuilder, CarbonAndCostFollowTheEnergy) {
  FramesSource source(a100_frames(3601));  // an hour
  ReportSettings settings;
  settings.carbon_g_per_kwh = 300.0;
  settings.market_carbon_g_per_kwh = 50.0;
  settings.price_per_kwh = 0.25;
  const Report report = build_report(source, settings);
  const ReportGroup& group = group_named(report, "GPU-a/2");
  const double kwh = 50.0 * 3600.0 / kJoulesPerKwh;  // 0.05 kWh
  EXPECT_NEAR(group.carbon_g, kwh * 300.0, 1e-9);
  ASSERT_TRUE(group.market_carbon_g);
  EXPECT_NEAR(*group.market_carbon_g, kwh * 50.0, 1e-9);
  ASSERT_TRUE(group.cost);
  EXPECT_NEAR(*group.cost, kwh * 0.25, 1e-12);
  EXPECT_NEAR(report.carbon_g, report.energy_j / kJoulesPerKwh * 300.0, 1e-9);
  EXPECT_FALSE(report.settings.embodied_kgco2e);
  EXPECT_FALSE(group.sci_g);
}

TEST(ReportBuilder, MarketBasedCarbonOnlyWhereAnIntensityIsKnown) {
  FramesSource source(a100_frames(11));
  const Report report = build_report(source, ReportSettings{});
  EXPECT_FALSE(report.market_carbon_g);
  for (const ReportGroup& group : report.groups) EXPECT_FALSE(group.market_carbon_g);
  EXPECT_FALSE(report.cost);
}

TEST(ReportBuilder, TheSourcesOwnIntensityWinsOverTheDefault) {
  std::vector<ReportFrame> frames = a100_frames(3);
  frames[1].carbon_g_per_kwh = 1000.0;  // a ledger bucket that recorded its grid
  FramesSource source(frames);
  ReportSettings settings;
  settings.carbon_g_per_kwh = 100.0;
  const Report report = build_report(source, settings);
  EXPECT_NEAR(report.carbon_g, 180.0 / kJoulesPerKwh * (1000.0 + 100.0), 1e-12);
  EXPECT_EQ(report.intervals_with_source_carbon, 1u);
  EXPECT_EQ(report.intervals, 2u);
  EXPECT_NE(carbon_source_text(report).find("recorded by the source for 1 of 2 intervals"),
            std::string::npos);
}

TEST(ReportBuilder, SoftwareCarbonIntensityAddsTheEmbodiedShareBySlicesAndTime) {
  FramesSource source(a100_frames(3601));
  ReportSettings settings;
  settings.carbon_g_per_kwh = 400.0;
  settings.embodied_kgco2e = 1500.0;
  settings.lifetime_years = 5.0;
  const Report report = build_report(source, settings);
  const double hour_of_life = 3600.0 / (5.0 * 365.25 * 86400.0);
  const ReportGroup& unlabelled = group_named(report, "GPU-a/2");  // 2 of 7 slices
  ASSERT_TRUE(unlabelled.embodied_g);
  EXPECT_NEAR(*unlabelled.embodied_g, 1500e3 * hour_of_life * 2.0 / 7.0, 1e-9);
  ASSERT_TRUE(unlabelled.sci_g);
  EXPECT_NEAR(*unlabelled.sci_g, unlabelled.carbon_g + *unlabelled.embodied_g, 1e-9);
  const ReportGroup& llm = group_named(report, "llm");  // 3 + 1 slices
  EXPECT_NEAR(*llm.embodied_g, 1500e3 * hour_of_life * 4.0 / 7.0, 1e-9);

  FramesSource again(a100_frames(3601));
  settings.group_by = ReportGrouping::gpu;
  const Report by_gpu = build_report(again, settings);
  EXPECT_NEAR(*by_gpu.groups[0].embodied_g, 1500e3 * hour_of_life, 1e-9);
}

TEST(ReportBuilder, UncertaintyOnlyWhenTheMethodGivesItForEveryShare) {
  FramesSource plain(a100_frames(5));
  EXPECT_FALSE(build_report(plain, ReportSettings{}).has_uncertainty());

  std::vector<ReportFrame> frames = a100_frames(5);
  for (ReportFrame& f : frames) {
    for (ReportInstanceRow& r : f.instances) {
      r.sd_w = 2.0;
      r.energy_sd_j = 2.0 * f.interval_s;
    }
  }
  FramesSource with_sd(frames);
  const Report report = build_report(with_sd, ReportSettings{});
  ASSERT_TRUE(report.has_uncertainty());
  // Correlated in time: the sds add, 2 W over 4 s per instance.
  EXPECT_DOUBLE_EQ(*group_named(report, "GPU-a/2").energy_sd_j, 8.0);
  EXPECT_DOUBLE_EQ(*group_named(report, "llm").energy_sd_j, 16.0);
  EXPECT_FALSE(report.groups.back().energy_sd_j);  // the unattributed row has none
}

TEST(ReportBuilder, PlotsEachCardsInstancesUnderItsMeasuredPower) {
  FramesSource source(a100_frames(11));
  const Report report = build_report(source, ReportSettings{});
  const ReportCard& card = report.cards[0];
  EXPECT_EQ(card.instance_labels,
            (std::vector<std::string>{"gi 1 3g.20gb llm", "gi 2 2g.10gb", "gi 3 1g.5gb llm"}));
  ASSERT_EQ(card.power.columns.size(), 5u);  // measured, unattributed, three instances
  for (std::size_t i = 0; i < card.power.t.size(); ++i) {
    double stacked = card.power.columns[1][i];
    for (std::size_t c = 2; c < 5; ++c) stacked += card.power.columns[c][i];
    EXPECT_DOUBLE_EQ(stacked, card.power.columns[0][i]);
  }
  EXPECT_EQ(card.power.t.size(), 11u);
  EXPECT_DOUBLE_EQ(card.peak_power_w, 280.0);
}

TEST(ReportBuilder, SumsTenantsAcrossCardsAtTheSameInstant) {
  std::vector<ReportFrame> a = a100_frames(4);
  std::vector<ReportFrame> frames;
  for (ReportFrame& f : a) {
    ReportFrame other = f;
    other.gpu_uuid = "GPU-b";
    frames.push_back(std::move(f));
    frames.push_back(std::move(other));  // the same instant on a second card
  }
  FramesSource source(frames);
  const Report report = build_report(source, ReportSettings{});
  EXPECT_EQ(report.cards.size(), 2u);
  const ReportGroup& llm = group_named(report, "llm");
  EXPECT_EQ(llm.members.size(), 4u);
  EXPECT_DOUBLE_EQ(llm.peak_power_w, 2 * 220.0);
  EXPECT_EQ(llm.instants, 4u);
  EXPECT_NEAR(sum_energy(report), report.cards[0].energy_j + report.cards[1].energy_j, 1e-9);
}

TEST(ReportGrouping, ParsesTheThreeNamesAndRefusesOthers) {
  EXPECT_EQ(parse_report_grouping("instance"), ReportGrouping::instance);
  EXPECT_EQ(parse_report_grouping("tenant"), ReportGrouping::tenant);
  EXPECT_EQ(parse_report_grouping("gpu"), ReportGrouping::gpu);
  EXPECT_THROW((void)parse_report_grouping("pod"), InputError);
}

}  // namespace
}  // namespace migpower
