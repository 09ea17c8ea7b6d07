#include "tenants/tenant_resolver.hpp"

#include <algorithm>
#include <iostream>
#include <utility>

namespace migpower::tenants {
namespace {

Tenant cgroup_tenant(const CgroupOwner& owner) {
  Tenant tenant;
  tenant.source = TenantSource::cgroup;
  if (owner.kind == CgroupOwner::Kind::pod) {
    tenant.tenant = "pod/" + owner.pod_uid;
    tenant.pod_uid = owner.pod_uid;
    tenant.container_id = owner.container_id;
  } else {
    tenant.tenant = "slurm/" + owner.job_id;
    tenant.slurm_job = owner.job_id;
    tenant.slurm_uid = owner.uid;
  }
  return tenant;
}

}  // namespace

TenantResolver::TenantResolver(TenantResolverOptions options, const DeviceDirectory* directory)
    : options_(std::move(options)), directory_(directory) {
  health_.kubelet.enabled = options_.kubelet;
  health_.cgroups.enabled = options_.process_cgroups;
  health_.mapping.enabled = !options_.mapping_file.empty();
  if (health_.mapping.enabled) mapping_ = std::make_unique<MappingFile>(options_.mapping_file);
}

TenantResolver::~TenantResolver() { stop(); }

double TenantResolver::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void TenantResolver::warn(const std::string& message) const {
  if (options_.on_warning) {
    options_.on_warning(message);
  } else {
    std::cerr << "migpower: " << message << '\n';
  }
}

void TenantResolver::refresh() {
  if (options_.kubelet) refresh_kubelet();
  if (mapping_) refresh_mapping();
}

void TenantResolver::refresh_kubelet() {
  ListAnswer answer = list_pod_resources(options_.kubelet_socket, options_.kubelet_timeout);
  const double now_s = now();
  std::string message;
  {
    const std::lock_guard lock(mutex_);
    SourceHealth& health = health_.kubelet;
    const bool was_ok = health.ok;
    const bool first = health.attempts == 0;
    ++health.attempts;
    if (answer.failure == ListFailure::none) {
      health.ok = true;
      health.last_error.clear();
      kubelet_success_s_ = now_s;
      last_answer_ = std::move(answer.devices);
      have_answer_ = true;
      indexed_version_ = 0;  // index again below
      reindex_locked();
      if (!was_ok && !first) message = "kubelet pod-resources answers again";
    } else {
      health.ok = false;
      health.last_error = answer.message;
      ++health_.errors[std::string(failure_kind(answer.failure))];
      if (was_ok || first) {
        message = answer.message + "; pods are not named until it answers (keeping its last " +
                  "answer for " + std::to_string(static_cast<int>(options_.kubelet_stale_after_s)) +
                  " s)";
      }
    }
  }
  if (!message.empty()) warn(message);
}

void TenantResolver::reindex_locked() {
  const std::uint64_t version = directory_ != nullptr ? directory_->version() + 1 : 1;
  if (!have_answer_ || version == indexed_version_) return;
  indexed_version_ = version;
  pods_ = index_pods(last_answer_, options_.resource_names, directory_);
  health_.kubelet.entries = pods_.containers;
  std::set<std::string> unplaced(pods_.unplaced.begin(), pods_.unplaced.end());
  for (const std::string& id : unplaced) {
    if (!unplaced_.contains(id)) ++health_.errors["device_unplaced"];
  }
  unplaced_ = std::move(unplaced);
}

void TenantResolver::refresh_mapping() {
  std::string error;
  const double now_s = now();
  bool read = false;
  {
    const std::lock_guard lock(mutex_);
    read = mapping_->reload_if_changed(error);
    if (read) {
      SourceHealth& health = health_.mapping;
      ++health.attempts;
      health.ok = error.empty();
      health.last_error = error;
      if (error.empty()) {
        mapping_success_s_ = now_s;
      } else {
        const bool missing = !std::filesystem::exists(mapping_->path());
        ++health_.errors[missing ? "mapping_missing" : "mapping_invalid"];
      }
      health.entries = mapping_->mapping().size();
    }
  }
  if (read && !error.empty()) warn(error);
}

void TenantResolver::start() {
  stop();
  refresh();
  {
    const std::lock_guard lock(thread_mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(std::max(options_.refresh_interval_s, 0.01)));
    std::unique_lock lock(thread_mutex_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      refresh();
      lock.lock();
    }
  });
}

void TenantResolver::stop() {
  {
    const std::lock_guard lock(thread_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::vector<Tenant> TenantResolver::cgroup_tenants_locked(std::span<const unsigned> pids,
                                                          double now_s) {
  std::vector<Tenant> found;
  for (const unsigned pid : pids) {
    auto cached = owners_.find(pid);
    if (cached == owners_.end() || now_s - cached->second.read_s >= options_.cgroup_ttl_s) {
      bool missing = false;
      const auto text = read_process_cgroup(options_.proc_root, pid, missing);
      ++health_.cgroups.attempts;
      if (!text) {
        if (!missing) {
          ++health_.errors["cgroup_read"];
          health_.cgroups.ok = false;
          health_.cgroups.last_error =
              "cannot read " + (options_.proc_root / std::to_string(pid) / "cgroup").string();
        }
        if (cached != owners_.end()) owners_.erase(cached);
        continue;
      }
      health_.cgroups.ok = true;
      health_.cgroups.last_error.clear();
      cgroup_success_s_ = now_s;
      cached =
          owners_.insert_or_assign(pid, CachedOwner{owner_of_process(*text), now_s, now_s}).first;
    }
    cached->second.used_s = now_s;
    if (cached->second.owner.kind != CgroupOwner::Kind::none) {
      found.push_back(cgroup_tenant(cached->second.owner));
    }
  }
  // Forget processes no query named for a while (they ended, or moved instance).
  if (now_s - last_prune_s_ >= options_.cgroup_ttl_s) {
    last_prune_s_ = now_s;
    std::erase_if(owners_, [&](const auto& entry) {
      return now_s - entry.second.used_s >= 2 * options_.cgroup_ttl_s;
    });
  }
  health_.cgroups.entries = owners_.size();
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  return found;
}

std::optional<Tenant> TenantResolver::pick_locked(const InstanceKey& key,
                                                  std::vector<Tenant> found) {
  const bool shared = found.size() > 1;
  if (shared && !shared_.contains(key)) {
    shared_.insert(key);
    ++health_.errors["shared_instance"];
  } else if (!shared) {
    shared_.erase(key);
  }
  health_.shared_instances = shared_.size();
  if (found.empty()) return std::nullopt;
  const auto smallest =
      std::min_element(found.begin(), found.end(),
                       [](const Tenant& a, const Tenant& b) { return a.tenant < b.tenant; });
  return std::move(*smallest);
}

std::optional<Tenant> TenantResolver::resolve(const InstanceQuery& query) {
  const InstanceKey key{std::string(query.gpu_uuid), query.gpu_i_id};
  const double now_s = now();
  const std::lock_guard lock(mutex_);
  if (options_.kubelet && have_answer_) {
    const bool fresh =
        health_.kubelet.ok ||
        (kubelet_success_s_ && now_s - *kubelet_success_s_ <= options_.kubelet_stale_after_s);
    if (fresh) {
      reindex_locked();
      if (auto pods = pods_.find(key, query.mig_uuids); !pods.empty()) {
        return pick_locked(key, std::move(pods));
      }
    }
  }
  if (options_.process_cgroups && !query.pids.empty()) {
    if (auto owners = cgroup_tenants_locked(query.pids, now_s); !owners.empty()) {
      return pick_locked(key, std::move(owners));
    }
  }
  if (mapping_ && mapping_->loaded()) {
    if (auto name = mapping_->mapping().find(key, query.mig_uuids)) {
      Tenant tenant;
      tenant.source = TenantSource::mapping;
      tenant.tenant = std::move(*name);
      return pick_locked(key, {std::move(tenant)});
    }
  }
  return pick_locked(key, {});
}

TenantHealth TenantResolver::health() const {
  const double now_s = now();
  const std::lock_guard lock(mutex_);
  TenantHealth health = health_;
  const auto age = [now_s](const std::optional<double>& since) -> std::optional<double> {
    if (!since) return std::nullopt;
    return std::max(0.0, now_s - *since);
  };
  health.kubelet.last_success_age_s = age(kubelet_success_s_);
  health.cgroups.last_success_age_s = age(cgroup_success_s_);
  health.mapping.last_success_age_s = age(mapping_success_s_);
  return health;
}

}  // namespace migpower::tenants
