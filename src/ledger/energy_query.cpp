#include "ledger/energy_query.hpp"

#include "core/error.hpp"

namespace migpower {

EnergyGrouping parse_energy_grouping(std::string_view text) {
  if (text == "instance") return EnergyGrouping::instance;
  if (text == "tenant") return EnergyGrouping::tenant;
  if (text == "namespace") return EnergyGrouping::namespace_;
  if (text == "gpu") return EnergyGrouping::gpu;
  if (text == "node") return EnergyGrouping::node;
  throw InputError("group_by '" + std::string(text) +
                   "' is not one of instance, tenant, namespace, gpu, node");
}

std::string_view grouping_name(EnergyGrouping grouping) {
  switch (grouping) {
    case EnergyGrouping::instance:
      return "instance";
    case EnergyGrouping::tenant:
      return "tenant";
    case EnergyGrouping::namespace_:
      return "namespace";
    case EnergyGrouping::gpu:
      return "gpu";
    case EnergyGrouping::node:
      return "node";
  }
  return "tenant";
}

std::vector<std::string> grouping_keys(EnergyGrouping grouping) {
  switch (grouping) {
    case EnergyGrouping::instance:
      return {"gpu_uuid", "gpu_i_id", "profile"};
    case EnergyGrouping::tenant:
      return {"tenant"};
    case EnergyGrouping::namespace_:
      return {"namespace"};
    case EnergyGrouping::gpu:
      return {"node", "gpu_uuid"};
    case EnergyGrouping::node:
      return {"node"};
  }
  return {"tenant"};
}

std::string energy_query_sql(EnergyGrouping grouping, SqlDialect dialect) {
  const bool sqlite = dialect == SqlDialect::sqlite;
  std::string keys;
  switch (grouping) {
    case EnergyGrouping::instance:
      keys = "gpu_uuid, gpu_i_id, profile";
      break;
    case EnergyGrouping::tenant:
      keys = "tenant";
      break;
    case EnergyGrouping::namespace_: {
      // Kubelet tenants are "namespace/pod"; the cgroup sources' "pod/UID" and "slurm/JOB"
      // name no namespace (docs/tenants.md).
      const std::string slash = sqlite ? "instr(tenant, '/')" : "strpos(tenant, '/')";
      const std::string head = "substr(tenant, 1, " + slash + " - 1)";
      keys = "CASE WHEN " + slash + " > 1 AND " + head + " NOT IN ('pod', 'slurm') THEN " + head +
             " ELSE '' END";
      break;
    }
    case EnergyGrouping::gpu:
      keys = "node, gpu_uuid";
      break;
    case EnergyGrouping::node:
      keys = "node";
      break;
  }
  const std::string from = sqlite ? "?1" : "$1::float8";
  const std::string to = sqlite ? "?2" : "$2::float8";
  return "SELECT " + keys +
         ", sum(energy_j), sum(static_j), sum(dynamic_j), sum(carbon_location_g), "
         "sum(carbon_market_g), sum(cost), "
         "CASE WHEN count(DISTINCT NULLIF(currency, '')) > 1 THEN 'mixed' "
         "ELSE coalesce(max(NULLIF(currency, '')), '') END, "
         "sum(CASE WHEN carbon_location_g IS NULL THEN energy_j ELSE 0 END), "
         "min(bucket_start), max(bucket_start + bucket_seconds), count(*) "
         "FROM instance_energy WHERE bucket_start >= " +
         from + " AND bucket_start < " + to + " GROUP BY " + keys + " ORDER BY " + keys;
}

}  // namespace migpower
