#include "attribution/static_power.hpp"

#include <gtest/gtest.h>

#include "attribution/test_frames.hpp"

namespace migpower {
namespace {

using testing::frame;

TEST(StaticPower, CatalogGpuUsesItsIdleFloor) {
  IdleFloorEstimator est;
  EXPECT_DOUBLE_EQ(est.estimate(frame("a", "NVIDIA A100-SXM4-40GB", 250.0)), 55.0);
  EXPECT_DOUBLE_EQ(est.estimate(frame("h", "NVIDIA H100 80GB HBM3", 300.0)), 70.0);
  // Not lowered by a low reading earlier.
  EXPECT_DOUBLE_EQ(est.estimate(frame("a", "NVIDIA A100-SXM4-40GB", 40.0)), 40.0);
  EXPECT_DOUBLE_EQ(est.estimate(frame("a", "NVIDIA A100-SXM4-40GB", 250.0)), 55.0);
}

TEST(StaticPower, NeverMoreThanMeasured) {
  IdleFloorEstimator est;
  EXPECT_DOUBLE_EQ(est.estimate(frame("a", "NVIDIA A100-SXM4-40GB", 30.0)), 30.0);
  EXPECT_DOUBLE_EQ(est.estimate(frame("a", "NVIDIA A100-SXM4-40GB", 0.0)), 0.0);
}

TEST(StaticPower, UnknownModelUsesRunningMinimumPerGpu) {
  IdleFloorEstimator est;
  const char* model = "NVIDIA Future GPU";
  EXPECT_DOUBLE_EQ(est.estimate(frame("x", model, 120.0)), 120.0);
  EXPECT_DOUBLE_EQ(est.estimate(frame("x", model, 90.0)), 90.0);
  EXPECT_DOUBLE_EQ(est.estimate(frame("x", model, 150.0)), 90.0);
  // Another GPU of the same model keeps its own minimum.
  EXPECT_DOUBLE_EQ(est.estimate(frame("y", model, 200.0)), 200.0);
  EXPECT_DOUBLE_EQ(est.estimate(frame("x", model, 95.0)), 90.0);
}

TEST(StaticPower, ModelNameChangeIsHonoured) {
  IdleFloorEstimator est;
  EXPECT_DOUBLE_EQ(est.estimate(frame("x", "unknown", 80.0)), 80.0);
  EXPECT_DOUBLE_EQ(est.estimate(frame("x", "NVIDIA A30", 100.0)), 30.0);
}

}  // namespace
}  // namespace migpower
