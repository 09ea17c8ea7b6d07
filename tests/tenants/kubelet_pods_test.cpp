#include "tenants/kubelet_pods.hpp"

#include <gtest/gtest.h>

namespace migpower::tenants {
namespace {

TEST(KubeletPods, OnlyGpuResourcesCount) {
  const std::vector<std::string> extra = {"nvidia.com/gpu.shared"};
  EXPECT_TRUE(is_gpu_resource("nvidia.com/gpu", {}));
  EXPECT_TRUE(is_gpu_resource("nvidia.com/mig-1g.5gb", {}));
  EXPECT_FALSE(is_gpu_resource("nvidia.com/gpu.shared", {}));
  EXPECT_TRUE(is_gpu_resource("nvidia.com/gpu.shared", extra));
  EXPECT_FALSE(is_gpu_resource("amd.com/gpu", extra));
  EXPECT_FALSE(is_gpu_resource("nvidia.com/migrate", {}));
}

TEST(KubeletPods, IndexPlacesDevicesByMigUuidInstanceAndCard) {
  DeviceDirectory directory;
  directory.replace({{"GPU-c0", "GPU-c1"}, {{"MIG-a", {"GPU-c0", 1}}, {"MIG-b", {"GPU-c0", 2}}}});
  const std::vector<ContainerDevices> answer = {
      {"trainer", "ml", "main", "nvidia.com/mig-3g.20gb", {"MIG-a"}},
      {"infer", "ml", "server", "nvidia.com/mig-1g.5gb", {"MIG-b", "MIG-unknown"}},
      {"whole", "batch", "job", "nvidia.com/gpu", {"GPU-c1"}},
      {"nic", "net", "dpdk", "intel.com/sriov", {"0000:3b:00.1"}},
      {"odd", "x", "y", "nvidia.com/gpu", {"17"}},
  };
  const PodIndex index = index_pods(answer, {}, &directory);
  EXPECT_EQ(index.containers, 4u);  // not the NIC
  const auto trainer = index.find({"GPU-c0", 1}, {});
  ASSERT_EQ(trainer.size(), 1u);
  EXPECT_EQ(trainer[0], kubelet_tenant("trainer", "ml", "main"));
  EXPECT_EQ(trainer[0].tenant, "ml/trainer");
  EXPECT_EQ(index.find({"GPU-c0", 2}, {})[0].pod, "infer");
  // A whole card's pod holds each of its instances.
  EXPECT_EQ(index.find({"GPU-c1", 0}, {})[0].pod, "whole");
  EXPECT_EQ(index.find({"GPU-c1", 9}, {})[0].pod, "whole");
  EXPECT_TRUE(index.find({"GPU-c0", 3}, {}).empty());
  // A MIG UUID the directory lacks still matches the caller's own MIG UUIDs...
  const std::vector<std::string> migs = {"MIG-unknown"};
  EXPECT_EQ(index.find({"GPU-c9", 4}, migs)[0].pod, "infer");
  // ... but is reported unplaced, as is an index beyond the node's cards.
  EXPECT_EQ(index.unplaced, (std::vector<std::string>{"17", "MIG-unknown"}));
}

TEST(KubeletPods, WithoutADirectoryOnlyTheCallersMigUuidsMatch) {
  const std::vector<ContainerDevices> answer = {
      {"trainer", "ml", "main", "nvidia.com/gpu", {"MIG-a"}}};
  const PodIndex index = index_pods(answer, {}, nullptr);
  EXPECT_TRUE(index.find({"GPU-c0", 1}, {}).empty());
  const std::vector<std::string> migs = {"MIG-z", "MIG-a"};
  EXPECT_EQ(index.find({"GPU-c0", 1}, migs).size(), 1u);
  EXPECT_TRUE(index.unplaced.empty());  // nothing to place it with: not an error
}

TEST(KubeletPods, ReplicasOfOneDeviceListEveryPodOnce) {
  const std::vector<ContainerDevices> answer = {
      {"b", "ns", "c", "nvidia.com/gpu", {"GPU-c0::0", "GPU-c0::1"}},
      {"a", "ns", "c", "nvidia.com/gpu", {"GPU-c0::2"}},
  };
  const auto pods = index_pods(answer, {}, nullptr).find({"GPU-c0", 0}, {});
  ASSERT_EQ(pods.size(), 2u);
  EXPECT_EQ(pods[0].pod, "a");
  EXPECT_EQ(pods[1].pod, "b");
}

}  // namespace
}  // namespace migpower::tenants
