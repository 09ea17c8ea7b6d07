#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace migpower::tenants {

// Who a process belongs to, by its cgroup.
struct CgroupOwner {
  enum class Kind { none, pod, slurm_job };
  Kind kind = Kind::none;
  std::string pod_uid;       // pod: the pod's UID with dashes (8-4-4-4-12)
  std::string container_id;  // pod: the container runtime's id (hex), where the path names it
  std::string job_id;        // slurm_job
  std::string uid;           // slurm_job: the job's user id, where the path names it (v1)
  bool operator==(const CgroupOwner&) const = default;
};

// The owner named by one cgroup path. Recognised, wherever they sit in the path (a cgroup
// namespace may hide the top; kind and other nested setups add levels):
//   Kubernetes, cgroupfs driver:  .../kubepods/[burstable|besteffort/]pod<uid>/<container id>
//   Kubernetes, systemd driver:   .../kubepods[-<qos>]-pod<uid with '_'>.slice/
//                                 {cri-containerd,crio,docker}-<container id>.scope
//   Slurm, cgroup v1:             .../slurm[_<node>]/uid_<uid>/job_<id>/step_<s>/task_<t>
//   Slurm, cgroup v2:             .../slurmstepd.scope/job_<id>/step_<s>/...
// Anything else (a system service, a login session) has no owner.
[[nodiscard]] CgroupOwner owner_of_cgroup_path(std::string_view path);

// The owner named by a /proc/<pid>/cgroup file: cgroup v2's single "0::<path>" line, or cgroup
// v1's "<id>:<controllers>:<path>" lines (the first line naming an owner wins; the controllers
// agree on a pod's or job's path).
[[nodiscard]] CgroupOwner owner_of_process(std::string_view proc_cgroup_text);

// Reads <proc_root>/<pid>/cgroup. nullopt when the process is gone or the file cannot be read
// (`missing` says which: a process that ended is no error).
[[nodiscard]] std::optional<std::string> read_process_cgroup(const std::filesystem::path& proc_root,
                                                             unsigned pid, bool& missing);

}  // namespace migpower::tenants
