#include "tenants/kubelet_pods.hpp"

#include <algorithm>

namespace migpower::tenants {

bool is_gpu_resource(std::string_view name, std::span<const std::string> extra) {
  return name == "nvidia.com/gpu" || name.starts_with("nvidia.com/mig-") ||
         std::find(extra.begin(), extra.end(), name) != extra.end();
}

std::vector<Tenant> PodIndex::find(const InstanceKey& instance,
                                   std::span<const std::string> mig_uuids) const {
  std::vector<Tenant> found;
  for (const std::string& mig : mig_uuids) {
    if (const auto pods = by_mig.find(mig); pods != by_mig.end()) {
      found.insert(found.end(), pods->second.begin(), pods->second.end());
    }
  }
  if (found.empty()) {
    if (const auto pods = by_instance.find(instance); pods != by_instance.end())
      found = pods->second;
  }
  if (found.empty()) {
    if (const auto pods = by_card.find(instance.gpu_uuid); pods != by_card.end()) {
      found = pods->second;
    }
  }
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

PodIndex index_pods(const std::vector<ContainerDevices>& devices,
                    std::span<const std::string> extra_resources,
                    const DeviceDirectory* directory) {
  PodIndex index;
  const bool directory_known = directory != nullptr && !directory->empty();
  for (const ContainerDevices& container : devices) {
    if (!is_gpu_resource(container.resource_name, extra_resources)) continue;
    ++index.containers;
    const Tenant tenant =
        kubelet_tenant(container.pod, container.namespace_name, container.container);
    for (const std::string& id : container.device_ids) {
      const DeviceTarget target = parse_device_id(id, directory);
      if (!target.mig_uuid.empty()) index.by_mig[target.mig_uuid].push_back(tenant);
      if (target.instance) index.by_instance[*target.instance].push_back(tenant);
      if (!target.card.empty()) index.by_card[target.card].push_back(tenant);
      // A MIG UUID the directory lacks may still match the caller's MIG UUIDs: unplaced only
      // when there is a directory to ask.
      const bool unplaced =
          target.mig_uuid.empty() ? !target.placed() : directory_known && !target.placed();
      if (unplaced) index.unplaced.push_back(id);
    }
  }
  std::sort(index.unplaced.begin(), index.unplaced.end());
  index.unplaced.erase(std::unique(index.unplaced.begin(), index.unplaced.end()),
                       index.unplaced.end());
  return index;
}

}  // namespace migpower::tenants
