#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace migpower::tenants {

// The kubelet's default pod-resources socket.
inline constexpr std::string_view kDefaultKubeletSocket =
    "/var/lib/kubelet/pod-resources/kubelet.sock";

// One container's devices of one resource, as the kubelet's List answers them.
struct ContainerDevices {
  std::string pod;
  std::string namespace_name;
  std::string container;
  std::string resource_name;  // e.g. nvidia.com/gpu, nvidia.com/mig-1g.5gb
  std::vector<std::string> device_ids;
  bool operator==(const ContainerDevices&) const = default;
};

// Why a List call failed, for the health counters.
enum class ListFailure {
  none,
  socket_missing,  // no socket at the path: no kubelet, or the folder is not mounted
  unavailable,     // the socket is there but nothing answers (a kubelet restarting)
  timeout,         // no answer within the deadline
  failed,          // any other gRPC status
};
[[nodiscard]] std::string_view failure_kind(ListFailure failure);

struct ListAnswer {
  std::vector<ContainerDevices> devices;  // every container's devices, of every resource
  ListFailure failure = ListFailure::none;
  std::string message;  // why, when it failed
};

// Calls PodResourcesLister.List (pod-resources API v1) on the kubelet's unix socket, on a channel
// opened for this call (a kubelet restart replaces the socket; a channel kept open would sit in
// gRPC's reconnect backoff), with the given deadline. Never throws for the kubelet's sake.
[[nodiscard]] ListAnswer list_pod_resources(const std::string& socket_path,
                                            std::chrono::milliseconds timeout);

}  // namespace migpower::tenants
