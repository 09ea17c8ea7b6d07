#pragma once

#include <array>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace migpower::tenants {

// One GPU instance on this node: its card's UUID (GPU-...) and its GPU instance id (NVML's
// GPU_I_ID; 0 for a card without MIG, as the sources number it).
struct InstanceKey {
  std::string gpu_uuid;
  int gpu_i_id = 0;
  // (Spelt out: clang-tidy 14 misreads a defaulted operator<=> as a literal 0.)
  bool operator==(const InstanceKey&) const = default;
  bool operator<(const InstanceKey& other) const {
    return std::tie(gpu_uuid, gpu_i_id) < std::tie(other.gpu_uuid, other.gpu_i_id);
  }
};

// Where a tenant was found.
enum class TenantSource { kubelet, cgroup, mapping };
[[nodiscard]] std::string_view source_name(TenantSource source);

// Who holds an instance. `tenant` is always set: the one name to sum energy by. A pod named by
// the kubelet also has `pod`, `namespace_name` and `container`; a process cgroup gives only a
// pod's UID and container id, or a Slurm job (and its user's uid).
//   kubelet:        tenant "<namespace>/<pod>", pod, namespace_name, container
//   cgroup, pod:    tenant "pod/<pod UID>", pod_uid, container_id (64 hex digits, may be empty)
//   cgroup, Slurm:  tenant "slurm/<job id>", slurm_job, slurm_uid (may be empty)
//   mapping file:   tenant as written in the file
struct Tenant {
  TenantSource source = TenantSource::mapping;
  std::string tenant;
  std::string pod;
  std::string namespace_name;
  std::string container;
  std::string pod_uid;
  std::string container_id;
  std::string slurm_job;
  std::string slurm_uid;

  bool operator==(const Tenant&) const = default;
  bool operator<(const Tenant& other) const {
    const auto fields = [](const Tenant& t) {
      return std::tie(t.source, t.tenant, t.pod, t.namespace_name, t.container, t.pod_uid,
                      t.container_id, t.slurm_job, t.slurm_uid);
    };
    return fields(*this) < fields(other);
  }
};

// The label names the agent writes, in this order, on every per-instance series; an empty value
// means the label is absent (as Prometheus reads it).
inline constexpr std::array<std::string_view, 4> kTenantLabelNames = {"pod", "namespace",
                                                                      "container", "tenant"};

// The values of kTenantLabelNames for `tenant`, in the same order.
[[nodiscard]] std::array<std::pair<std::string_view, std::string>, 4> tenant_labels(
    const Tenant& tenant);

// A pod named by the kubelet.
[[nodiscard]] Tenant kubelet_tenant(std::string pod, std::string namespace_name,
                                    std::string container);

}  // namespace migpower::tenants
