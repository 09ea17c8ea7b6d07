#include "tenants/tenant.hpp"

namespace migpower::tenants {

std::string_view source_name(TenantSource source) {
  switch (source) {
    case TenantSource::kubelet:
      return "kubelet";
    case TenantSource::cgroup:
      return "cgroup";
    case TenantSource::mapping:
      return "mapping";
  }
  return "unknown";
}

std::array<std::pair<std::string_view, std::string>, 4> tenant_labels(const Tenant& tenant) {
  return {{{kTenantLabelNames[0], tenant.pod},
           {kTenantLabelNames[1], tenant.namespace_name},
           {kTenantLabelNames[2], tenant.container},
           {kTenantLabelNames[3], tenant.tenant}}};
}

Tenant kubelet_tenant(std::string pod, std::string namespace_name, std::string container) {
  Tenant tenant;
  tenant.source = TenantSource::kubelet;
  tenant.tenant = namespace_name + "/" + pod;
  tenant.pod = std::move(pod);
  tenant.namespace_name = std::move(namespace_name);
  tenant.container = std::move(container);
  return tenant;
}

}  // namespace migpower::tenants
