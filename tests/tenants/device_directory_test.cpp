#include "tenants/device_directory.hpp"

#include <gtest/gtest.h>

namespace migpower::tenants {
namespace {

void fill(DeviceDirectory& directory) {
  directory.replace({{"GPU-card0", "GPU-card1"},
                     {{"MIG-dev-a", {"GPU-card0", 1}}, {"MIG-dev-b", {"GPU-card1", 5}}}});
}

TEST(DeviceDirectory, PlacesMigDevicesAndIndices) {
  DeviceDirectory directory;
  fill(directory);
  EXPECT_EQ(directory.mig_device("MIG-dev-b"), (InstanceKey{"GPU-card1", 5}));
  EXPECT_FALSE(directory.mig_device("MIG-dev-c"));
  EXPECT_EQ(directory.card_at_index(1), "GPU-card1");
  EXPECT_FALSE(directory.card_at_index(2));
  EXPECT_FALSE(directory.empty());
  EXPECT_TRUE(DeviceDirectory().empty());
}

TEST(DeviceDirectory, ReplaceForgetsTheOldLayoutAndBumpsTheVersion) {
  DeviceDirectory directory;
  fill(directory);
  const auto version = directory.version();
  directory.replace({{"GPU-card0"}, {{"MIG-dev-z", {"GPU-card0", 2}}}});
  EXPECT_EQ(directory.version(), version + 1);
  EXPECT_FALSE(directory.mig_device("MIG-dev-a"));
  EXPECT_EQ(directory.mig_device("MIG-dev-z"), (InstanceKey{"GPU-card0", 2}));
}

TEST(ParseDeviceId, EveryPluginsSpelling) {
  DeviceDirectory directory;
  fill(directory);
  // A MIG device by UUID: placed through the directory.
  auto target = parse_device_id("MIG-dev-a", &directory);
  EXPECT_EQ(target.mig_uuid, "MIG-dev-a");
  EXPECT_EQ(target.instance, (InstanceKey{"GPU-card0", 1}));
  // ... and without one: kept for the caller's MIG UUIDs, unplaced.
  target = parse_device_id("MIG-dev-a", nullptr);
  EXPECT_EQ(target.mig_uuid, "MIG-dev-a");
  EXPECT_FALSE(target.placed());
  // The pre-R470 MIG id names its card and GPU instance itself.
  target = parse_device_id("MIG-GPU-5c89852c-d268-c3f3-1b07-005d5ae1dc3f/7/0", nullptr);
  EXPECT_EQ(target.instance, (InstanceKey{"GPU-5c89852c-d268-c3f3-1b07-005d5ae1dc3f", 7}));
  EXPECT_TRUE(target.mig_uuid.empty());
  // A whole card, with a time-slicing replica suffix dropped.
  target = parse_device_id("GPU-card1::3", &directory);
  EXPECT_EQ(target.card, "GPU-card1");
  EXPECT_FALSE(target.instance);
  // GKE: nvidia<index>/gi<GPU_I_ID>, optionally shared (/vgpu<n>), or a whole card.
  target = parse_device_id("nvidia1/gi5/vgpu0", &directory);
  EXPECT_EQ(target.instance, (InstanceKey{"GPU-card1", 5}));
  target = parse_device_id("nvidia0", &directory);
  EXPECT_EQ(target.card, "GPU-card0");
  // deviceIDStrategy=index.
  target = parse_device_id("1", &directory);
  EXPECT_EQ(target.card, "GPU-card1");
  // Unknown: an index beyond the node's cards, garbage, a malformed legacy id.
  EXPECT_FALSE(parse_device_id("7", &directory).placed());
  EXPECT_FALSE(parse_device_id("nvidia9/gi1", &directory).placed());
  EXPECT_FALSE(parse_device_id("eth0", &directory).placed());
  EXPECT_FALSE(parse_device_id("MIG-GPU-x/1", &directory).placed());
  EXPECT_FALSE(parse_device_id("MIG-GPU-x/a/0", &directory).placed());
}

}  // namespace
}  // namespace migpower::tenants
