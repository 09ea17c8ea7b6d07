#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "tenants/cgroup_owner.hpp"
#include "tenants/device_directory.hpp"
#include "tenants/kubelet_pods.hpp"
#include "tenants/mapping_file.hpp"
#include "tenants/pod_resources.hpp"
#include "tenants/tenant.hpp"

namespace migpower::tenants {

struct TenantResolverOptions {
  // Kubernetes pods through the kubelet's pod-resources API.
  bool kubelet = false;
  std::string kubelet_socket = std::string(kDefaultKubeletSocket);
  std::chrono::milliseconds kubelet_timeout{10'000};  // dcgm-exporter's
  std::vector<std::string> resource_names;  // GPU resources besides nvidia.com/{gpu,mig-*}
  // While the kubelet does not answer, its last answer is kept this long (a kubelet restart
  // takes seconds), then dropped (pods may have ended meanwhile).
  double kubelet_stale_after_s = 60.0;

  // Pods and Slurm jobs through the cgroups of the processes on each instance.
  bool process_cgroups = false;
  std::filesystem::path proc_root = "/proc";
  double cgroup_ttl_s = 10.0;  // a process's cgroup is read again after this long

  // The static mapping file; empty: none.
  std::filesystem::path mapping_file;

  // How often start()'s thread asks the kubelet and checks the mapping file for changes.
  double refresh_interval_s = 10.0;
  // Wall time in seconds, for ages and the cgroup cache; null: the system clock.
  std::function<double()> clock;
  // Warnings (the kubelet lost and found again, a mapping refused); null: standard error.
  std::function<void(const std::string&)> on_warning;
};

// One GPU instance to name, with what the caller knows of it.
struct InstanceQuery {
  std::string_view gpu_uuid;               // the card's UUID (GPU-...)
  int gpu_i_id = 0;                        // NVML's GPU_I_ID; 0 without MIG
  std::span<const std::string> mig_uuids;  // its MIG devices' UUIDs, where known
  std::span<const unsigned> pids;          // the processes running in it, where known
};

// How one tenant source is faring.
struct SourceHealth {
  bool enabled = false;
  bool ok = false;             // the last attempt worked (kubelet: List answered; mapping: parsed)
  std::uint64_t attempts = 0;  // kubelet: List calls; cgroups: cgroup files read; mapping: reads
  std::optional<double> last_success_age_s;  // none: never
  std::size_t entries = 0;  // kubelet: containers holding GPUs; cgroups: processes known;
                            // mapping: entries
  std::string last_error;   // empty when ok
};

// The resolver's health, a plain value for the agent's metrics and JSON.
struct TenantHealth {
  SourceHealth kubelet;
  SourceHealth cgroups;
  SourceHealth mapping;
  // Errors since start, by kind: kubelet_socket_missing, kubelet_unavailable, kubelet_timeout,
  // kubelet_failed (per failed List); device_unplaced (per GPU device id the kubelet names that
  // matches no card or instance here, once per appearance); cgroup_read (a process's cgroup
  // file exists but could not be read); mapping_missing, mapping_invalid (per failed reload);
  // shared_instance (an instance found held by more than one tenant, once per occurrence).
  std::map<std::string, std::uint64_t, std::less<>> errors;
  std::size_t shared_instances = 0;  // instances held by more than one tenant now
};

// Names the tenant of each GPU instance from three sources, in this order (the first that names
// one wins):
//   1. the kubelet: the pod whose container was allocated one of the instance's MIG devices, the
//      instance itself, or its whole card (the allocation is what a tenant rents);
//   2. process cgroups: the pod (UID) or Slurm job of the processes running in the instance;
//   3. the mapping file: the instance's MIG device, (card, GPU_I_ID), or the card's '*' line.
// Where one source names several tenants for an instance (MIG devices of one GPU instance
// allocated to different pods, processes of two jobs), the smallest (by tenant name) is
// returned and health() counts the instance as shared.
//
// resolve() is cheap (map lookups; a process's cgroup file is read at most once per
// cgroup_ttl_s) and never does network I/O: the kubelet is asked by refresh(), on the caller's
// thread, or every refresh_interval_s by start()'s thread. All methods are thread-safe.
class TenantResolver {
 public:
  // `directory` (may be null; must outlive the resolver) places the kubelet's MIG device UUIDs
  // and NVML indices; without it only the MIG UUIDs given in each query match.
  explicit TenantResolver(TenantResolverOptions options,
                          const DeviceDirectory* directory = nullptr);
  ~TenantResolver();
  TenantResolver(const TenantResolver&) = delete;
  TenantResolver& operator=(const TenantResolver&) = delete;

  // Asks the kubelet and reloads the mapping file if it changed, now. Never throws for a
  // source's sake: failures are counted, warned about on a change of state, and survived.
  void refresh();
  // refresh() now, then every refresh_interval_s on a thread of its own until stop().
  void start();
  // Ends start()'s thread; waits for a List in flight (at most kubelet_timeout). The destructor
  // calls it.
  void stop();

  // The tenant of one instance; none when no source names one.
  [[nodiscard]] std::optional<Tenant> resolve(const InstanceQuery& query);

  [[nodiscard]] TenantHealth health() const;

 private:
  struct CachedOwner {
    CgroupOwner owner;
    double read_s = 0.0;
    double used_s = 0.0;
  };

  [[nodiscard]] double now() const;
  void warn(const std::string& message) const;
  void refresh_kubelet();
  void refresh_mapping();
  // Rebuilds the pod index from the last answer when the directory changed. Holds mutex_.
  void reindex_locked();
  // The tenants the processes' cgroups name. Holds mutex_.
  [[nodiscard]] std::vector<Tenant> cgroup_tenants_locked(std::span<const unsigned> pids,
                                                          double now_s);
  // Picks the smallest of `found` and keeps the shared-instance count. Holds mutex_.
  std::optional<Tenant> pick_locked(const InstanceKey& key, std::vector<Tenant> found);

  TenantResolverOptions options_;
  const DeviceDirectory* directory_;

  mutable std::mutex mutex_;
  // Kubelet.
  std::vector<ContainerDevices> last_answer_;
  bool have_answer_ = false;
  PodIndex pods_;
  std::uint64_t indexed_version_ = 0;
  std::set<std::string> unplaced_;
  std::optional<double> kubelet_success_s_;
  // Cgroups, by pid.
  std::unordered_map<unsigned, CachedOwner> owners_;
  double last_prune_s_ = 0.0;
  std::optional<double> cgroup_success_s_;
  // Mapping.
  std::unique_ptr<MappingFile> mapping_;
  std::optional<double> mapping_success_s_;
  // Health.
  TenantHealth health_;
  std::set<InstanceKey> shared_;

  // start()'s thread.
  std::mutex thread_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace migpower::tenants
