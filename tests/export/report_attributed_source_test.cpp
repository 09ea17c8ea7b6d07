#include "export/report_attributed_source.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "attribution/method_factory.hpp"
#include "attribution/test_frames.hpp"
#include "export/report_builder.hpp"
#include "vector_source.hpp"

namespace migpower {
namespace {

using testing::instance;

// An A100 40GB, 3g + 2g + 1g + 1g, one frame a second from t = 1000 with its energy counter
// (which counts 1 J more than power x time each second, so the counter is seen to be used).
std::vector<Frame> frames(int count, std::optional<int> without_power = std::nullopt) {
  std::vector<Frame> out;
  double counter_mj = 5.0e6;
  for (int i = 0; i < count; ++i) {
    const double power = 150.0 + 10.0 * (i % 5);
    Frame f = testing::frame("GPU-a", "NVIDIA A100-SXM4-40GB", power, 1000.0 + i);
    if (i > 0) counter_mj += (power + 1.0) * 1000.0;
    f.energy_mj = counter_mj;
    f.instances = {instance(1, "3g.20gb", 3, 0.9), instance(2, "2g.10gb", 2, 0.5),
                   instance(3, "1g.5gb", 1, 0.0), instance(4, "1g.5gb", 1, 0.3)};
    f.instances[0].workload = "llm";
    if (without_power && i == *without_power) f.power_w.reset();
    out.push_back(std::move(f));
  }
  return out;
}

Attributor attributor(const std::string& method, IdlePolicy policy = IdlePolicy::slices) {
  MethodChoice choice;
  choice.method = method;
  choice.idle_policy = policy;
  return make_attributor(choice);
}

struct Totals {
  std::size_t frames = 0;
  double card_j = 0.0;
  double instances_j = 0.0;
  double unattributed_j = 0.0;
  double first_s = NAN;
  double last_s = NAN;
};

Totals drain(AttributedReportSource& source) {
  Totals totals;
  ReportFrame frame;
  while (source.next(frame)) {
    if (totals.frames++ == 0) totals.first_s = frame.timestamp_s;
    totals.last_s = frame.timestamp_s;
    totals.card_j += frame.card_energy_j;
    totals.unattributed_j += frame.unattributed_j;
    for (const ReportInstanceRow& row : frame.instances) {
      totals.instances_j += row.energy_j;
      EXPECT_NEAR(row.static_energy_j + row.dynamic_energy_j, row.energy_j, 1e-9);
      EXPECT_EQ(frame.card_compute_slices, 7);
    }
  }
  return totals;
}

TEST(AttributedReportSource, HandsOnEachIntervalsEnergyAsTheLedgerIntegratesIt) {
  for (const IdlePolicy policy : {IdlePolicy::slices, IdlePolicy::none}) {
    test::VectorSource input(frames(100));
    AttributedReportSource source(input, attributor("utilization", policy),
                                  ReportSourceInfo{"test", "utilization", "x"});
    const Totals totals = drain(source);
    EXPECT_EQ(totals.frames, 100u);
    const CardEnergy& card = source.ledger().cards().at(0);
    EXPECT_EQ(card.counter_intervals, 99u);
    EXPECT_NEAR(totals.card_j, card.energy_j, 1e-6);
    // Conservation: the instances and the unattributed part make the card's measured energy.
    EXPECT_NEAR(totals.instances_j + totals.unattributed_j, totals.card_j, 1e-6);
    EXPECT_EQ(totals.unattributed_j > 0.0, policy == IdlePolicy::none);
  }
}

TEST(AttributedReportSource, KeepsToThePeriodButLearnsFromWhatCameBefore) {
  test::VectorSource input(frames(100));
  AttributedReportSource source(input, attributor("slices"), ReportSourceInfo{},
                                ReportPeriod{1010.0, 1019.5});
  const Totals totals = drain(source);
  EXPECT_EQ(totals.frames, 10u);
  EXPECT_EQ(totals.first_s, 1010.0);
  EXPECT_EQ(totals.last_s, 1019.0);
  // Nine intervals inside the period, from the counter: power + 1 W for each second.
  double expected = 0.0;
  for (int i = 11; i <= 19; ++i) expected += 150.0 + 10.0 * (i % 5) + 1.0;
  EXPECT_NEAR(totals.card_j, expected, 1e-6);
  EXPECT_NEAR(totals.instances_j, expected, 1e-6);
}

TEST(AttributedReportSource, AFrameWithoutPowerCountsButCarriesNoEnergy) {
  test::VectorSource input(frames(10, 4));
  AttributedReportSource source(input, attributor("slices"), ReportSourceInfo{});
  ReportFrame frame;
  std::size_t without_power = 0;
  double card_j = 0.0;
  while (source.next(frame)) {
    card_j += frame.card_energy_j;
    if (frame.has_power) continue;
    ++without_power;
    EXPECT_EQ(frame.card_energy_j, 0.0);
    EXPECT_EQ(frame.instances.size(), 4u);
  }
  EXPECT_EQ(without_power, 1u);
  EXPECT_NEAR(card_j, source.ledger().cards().at(0).energy_j, 1e-6);
}

TEST(AttributedReportSource, FeedsAReportWhoseGroupsSumToTheMeasuredEnergy) {
  test::VectorSource input(frames(300));
  AttributedReportSource source(input, attributor("online", IdlePolicy::none),
                                ReportSourceInfo{"test", "online", "none"});
  const Report report = build_report(source, ReportSettings{});
  double groups_j = 0.0;
  for (const ReportGroup& group : report.groups) groups_j += group.energy_j;
  EXPECT_NEAR(groups_j, source.ledger().cards().at(0).energy_j, 1e-6);
  EXPECT_TRUE(report.has_unattributed());
  EXPECT_TRUE(report.has_uncertainty());  // the online model gives each share an sd
  EXPECT_EQ(report.groups.size(), 5u);    // llm, three unlabelled instances, unattributed
}

}  // namespace
}  // namespace migpower
