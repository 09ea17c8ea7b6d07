#include "attribution/idle_policy.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "attribution/test_frames.hpp"

namespace migpower {
namespace {

using testing::a100_mixed;

std::vector<double> weights(IdlePolicy policy, const Frame& f) {
  std::vector<double> out(f.instances.size(), -1.0);
  static_weights(policy, Activity::gr_engine, f, out);
  return out;
}

TEST(IdlePolicy, ActiveNeedsMoreThanThreshold) {
  InstanceSample s;
  s.set(Activity::gr_engine, 0.05);
  EXPECT_FALSE(is_active(s, Activity::gr_engine));
  s.set(Activity::gr_engine, 0.06);
  EXPECT_TRUE(is_active(s, Activity::gr_engine));
}

TEST(IdlePolicy, MissingUtilizationFieldFallsBackToAnyActivity) {
  InstanceSample s;
  EXPECT_FALSE(is_active(s, Activity::gr_engine));
  s.set(Activity::dram, 0.3);
  EXPECT_TRUE(is_active(s, Activity::gr_engine));
  // A present utilization field decides alone.
  s.set(Activity::gr_engine, 0.0);
  EXPECT_FALSE(is_active(s, Activity::gr_engine));
}

TEST(IdlePolicy, WeightsPerPolicy) {
  const Frame f = a100_mixed(250.0);
  EXPECT_EQ(weights(IdlePolicy::slices, f), (std::vector<double>{3, 2, 1, 1}));
  EXPECT_EQ(weights(IdlePolicy::active, f), (std::vector<double>{1, 1, 0, 1}));
  EXPECT_EQ(weights(IdlePolicy::none, f), (std::vector<double>{0, 0, 0, 0}));
}

TEST(IdlePolicy, ActiveWithNobodyActiveUsesSlices) {
  Frame f = a100_mixed(250.0);
  for (auto& s : f.instances) s.set(Activity::gr_engine, 0.0);
  EXPECT_EQ(weights(IdlePolicy::active, f), (std::vector<double>{3, 2, 1, 1}));
}

}  // namespace
}  // namespace migpower
