#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tenants/tenant.hpp"

namespace migpower::tenants {

// One MIG device (a compute instance of a GPU instance) by its UUID, as NVML's nvmlDeviceGetUUID
// gives it on the MIG handle (MIG-...).
struct MigDevice {
  std::string mig_uuid;
  InstanceKey instance;
};

struct DeviceDirectoryContents {
  std::vector<std::string> cards;  // card UUIDs by NVML index
  std::vector<MigDevice> mig_devices;
};

// What this node's GPUs are called, so that the kubelet's device ids can be placed: MIG device
// UUIDs to their card and GPU instance (what dcgm-exporter asks NVML for), NVML indices to card
// UUIDs (GKE's "nvidia0/gi1" and the device plugin's index ids). The agent fills it from what its
// source discovered and replaces it when a MIG layout changes; the kubelet's refresh reads it on
// another thread. Thread-safe.
class DeviceDirectory {
 public:
  void replace(DeviceDirectoryContents contents);

  [[nodiscard]] std::optional<InstanceKey> mig_device(std::string_view mig_uuid) const;
  [[nodiscard]] std::optional<std::string> card_at_index(std::size_t index) const;
  [[nodiscard]] bool empty() const;
  // Grows by one with each replace(): a reader that placed ids with an older version places them
  // again.
  [[nodiscard]] std::uint64_t version() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, InstanceKey, std::less<>> mig_devices_;
  std::vector<std::string> cards_;
  std::uint64_t version_ = 0;
};

// Where one device id of the kubelet's answer points. The NVIDIA device plugin names a whole GPU
// by its UUID (GPU-...) or, with deviceIDStrategy=index, by its NVML index ("0"), and a MIG device
// by its UUID (MIG-...) or, before driver R470, as MIG-GPU-<card uuid>/<GPU_I_ID>/<CI id>; GKE's
// plugin writes nvidia<index>/gi<GPU_I_ID>; time-slicing replicas end in ::<replica> (NVIDIA) or
// /vgpu<replica> (GKE), dropped here.
struct DeviceTarget {
  std::string mig_uuid;                 // a MIG-<uuid> id: the caller's MIG UUIDs may match it
  std::optional<InstanceKey> instance;  // the GPU instance, where the id or the directory says
  std::string card;                     // a whole card's UUID
  [[nodiscard]] bool placed() const { return instance.has_value() || !card.empty(); }
};

// `directory` may be null: MIG UUIDs and indices then stay unplaced.
[[nodiscard]] DeviceTarget parse_device_id(std::string_view id, const DeviceDirectory* directory);

}  // namespace migpower::tenants
