#pragma once

#include <chrono>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tenants/device_directory.hpp"
#include "tenants/pod_resources.hpp"
#include "tenants/tenant.hpp"

namespace migpower::tenants {

// Whether the kubelet's resource `name` is a GPU or MIG device: nvidia.com/gpu, nvidia.com/mig-*
// (the device plugin's mixed MIG strategy), or one of `extra` (a plugin configured to rename
// them, e.g. nvidia.com/gpu.shared).
[[nodiscard]] bool is_gpu_resource(std::string_view name, std::span<const std::string> extra);

// The pods holding GPU devices, placed by device (parse_device_id): by MIG device UUID, by GPU
// instance, by whole card. A device held by two containers (time-slicing replicas) lists both.
struct PodIndex {
  std::map<std::string, std::vector<Tenant>, std::less<>> by_mig;
  std::map<InstanceKey, std::vector<Tenant>> by_instance;
  std::map<std::string, std::vector<Tenant>, std::less<>> by_card;
  std::vector<std::string> unplaced;  // GPU device ids that name no instance or card known here
  std::size_t containers = 0;         // containers holding GPU devices

  // The pods of an instance, sorted and without repeats: those holding one of its MIG devices,
  // else those holding its (card, GPU_I_ID), else those holding the whole card; empty if none.
  [[nodiscard]] std::vector<Tenant> find(const InstanceKey& instance,
                                         std::span<const std::string> mig_uuids) const;
};

// Indexes the GPU devices of a List answer; `directory` (may be null) places MIG UUIDs and NVML
// indices.
[[nodiscard]] PodIndex index_pods(const std::vector<ContainerDevices>& devices,
                                  std::span<const std::string> extra_resources,
                                  const DeviceDirectory* directory);

}  // namespace migpower::tenants
