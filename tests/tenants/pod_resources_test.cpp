// The gRPC client of the kubelet's pod-resources API against the fake kubelet on a unix socket
// in a temp folder: what List answers, and each way the kubelet can be absent.

#include "tenants/pod_resources.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "tenants/fake_kubelet.hpp"

namespace migpower::tenants {
namespace {

using test::FakeKubelet;
using test::TempDir;
using namespace std::chrono_literals;

TEST(PodResources, ListGivesEveryContainersDevicesOfEveryResource) {
  const TempDir dir("pod-resources-list");
  FakeKubelet kubelet(dir.path() / "kubelet.sock");
  kubelet.set_pods(
      {{"trainer-0",
        "ml",
        {{"main", {{"nvidia.com/mig-3g.20gb", {"MIG-aaa"}}, {"example.com/nic", {"n0"}}}},
         {"sidecar", {}}}},
       {"web", "default", {{"nginx", {{"nvidia.com/gpu", {"GPU-1", "GPU-2"}}}}}}});
  kubelet.start();
  const ListAnswer answer = list_pod_resources((dir.path() / "kubelet.sock").string(), 5s);
  ASSERT_EQ(answer.failure, ListFailure::none) << answer.message;
  const std::vector<ContainerDevices> expected = {
      {"trainer-0", "ml", "main", "nvidia.com/mig-3g.20gb", {"MIG-aaa"}},
      {"trainer-0", "ml", "main", "example.com/nic", {"n0"}},
      {"web", "default", "nginx", "nvidia.com/gpu", {"GPU-1", "GPU-2"}},
  };
  EXPECT_EQ(answer.devices, expected);
  EXPECT_EQ(kubelet.calls(), 1);
}

TEST(PodResources, AnEmptyNodeAnswersNoDevices) {
  const TempDir dir("pod-resources-empty");
  FakeKubelet kubelet(dir.path() / "kubelet.sock");
  kubelet.start();
  const ListAnswer answer = list_pod_resources((dir.path() / "kubelet.sock").string(), 5s);
  EXPECT_EQ(answer.failure, ListFailure::none) << answer.message;
  EXPECT_TRUE(answer.devices.empty());
}

TEST(PodResources, AMissingSocketIsAFailureNotAThrow) {
  const TempDir dir("pod-resources-missing");
  const ListAnswer answer = list_pod_resources((dir.path() / "kubelet.sock").string(), 1s);
  EXPECT_EQ(answer.failure, ListFailure::socket_missing);
  EXPECT_EQ(failure_kind(answer.failure), "kubelet_socket_missing");
  EXPECT_NE(answer.message.find("kubelet.sock"), std::string::npos);
}

TEST(PodResources, ASocketNobodyServesIsUnavailable) {
  // What a kubelet leaves while it restarts: the socket file, bound but not listening.
  const TempDir dir("pod-resources-dead");
  const auto path = dir.path() / "kubelet.sock";
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  const ListAnswer answer = list_pod_resources(path.string(), 2s);
  ::close(fd);
  EXPECT_EQ(answer.failure, ListFailure::unavailable) << answer.message;
}

TEST(PodResources, ASlowKubeletTimesOut) {
  const TempDir dir("pod-resources-slow");
  FakeKubelet kubelet(dir.path() / "kubelet.sock");
  kubelet.set_delay(3s);
  kubelet.start();
  const auto start = std::chrono::steady_clock::now();
  const ListAnswer answer = list_pod_resources((dir.path() / "kubelet.sock").string(), 200ms);
  EXPECT_EQ(answer.failure, ListFailure::timeout) << answer.message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

}  // namespace
}  // namespace migpower::tenants
