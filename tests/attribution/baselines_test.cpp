#include "attribution/baselines.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "attribution/test_frames.hpp"

namespace migpower {
namespace {

using testing::a100_mixed;

std::vector<double> run(DynamicEstimator& estimator, const Frame& frame) {
  std::vector<double> out(frame.instances.size(), -1.0);
  estimator.estimate(frame, out);
  return out;
}

TEST(Baselines, EqualGivesOneEach) {
  EqualSplit equal;
  EXPECT_EQ(run(equal, a100_mixed(250.0)), (std::vector<double>{1, 1, 1, 1}));
  EXPECT_EQ(equal.name(), "equal");
}

TEST(Baselines, SlicesGivesComputeSlices) {
  SliceSplit slices;
  EXPECT_EQ(run(slices, a100_mixed(250.0)), (std::vector<double>{3, 2, 1, 1}));
}

TEST(Baselines, SlicesCountsUnknownSlicesAsOne) {
  Frame f = a100_mixed(250.0);
  f.instances[0].compute_slices = 0;
  SliceSplit slices;
  EXPECT_EQ(run(slices, f), (std::vector<double>{1, 2, 1, 1}));
}

TEST(Baselines, UtilizationIsSlicesTimesActivity) {
  UtilizationSplit util;
  const auto out = run(util, a100_mixed(250.0));
  EXPECT_DOUBLE_EQ(out[0], 3 * 0.8);
  EXPECT_DOUBLE_EQ(out[1], 2 * 0.5);
  EXPECT_DOUBLE_EQ(out[2], 0.0);
  EXPECT_DOUBLE_EQ(out[3], 1 * 0.6);
}

TEST(Baselines, UtilizationMissingFieldCountsAsZero) {
  Frame f = a100_mixed(250.0);
  f.instances[1].activity = {};
  f.instances[1].set(Activity::sm, 0.9);  // another field does not stand in for GR
  UtilizationSplit util;
  const auto out = run(util, f);
  EXPECT_EQ(out[1], 0.0);
  EXPECT_DOUBLE_EQ(out[0], 2.4);
}

TEST(Baselines, UtilizationUsesTheChosenField) {
  Frame f = a100_mixed(250.0);
  f.instances[0].set(Activity::dram, 0.25);
  UtilizationSplit util(Activity::dram);
  const auto out = run(util, f);
  EXPECT_DOUBLE_EQ(out[0], 0.75);
  EXPECT_EQ(out[1], 0.0);
  EXPECT_EQ(util.field(), Activity::dram);
}

TEST(Baselines, FactoryMakesTheNamedMethod) {
  EXPECT_EQ(make_baseline(SplitMethod::equal, Activity::gr_engine)->name(), "equal");
  EXPECT_EQ(make_baseline(SplitMethod::slices, Activity::gr_engine)->name(), "slices");
  auto util = make_baseline(SplitMethod::utilization, Activity::sm);
  EXPECT_EQ(util->name(), "utilization");
  Frame f = a100_mixed(250.0);
  f.instances[2].set(Activity::sm, 1.0);
  EXPECT_EQ(run(*util, f), (std::vector<double>{0, 0, 1, 0}));
}

}  // namespace
}  // namespace migpower
