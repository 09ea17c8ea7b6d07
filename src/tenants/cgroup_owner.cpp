#include "tenants/cgroup_owner.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <vector>

namespace migpower::tenants {
namespace {

bool all_of_class(std::string_view text, int (*test)(int)) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [test](char c) {
    return test(static_cast<unsigned char>(c)) != 0;
  });
}

bool is_digits(std::string_view text) { return all_of_class(text, ::isdigit); }
bool is_hex(std::string_view text) { return all_of_class(text, ::isxdigit); }

// A pod UID as the cgroup writes it (dashes, or underscores under the systemd driver) in
// canonical form: 36 characters, hex digits and dashes at 8, 13, 18, 23; empty if it is not one.
std::string canonical_uid(std::string_view text) {
  std::string uid(text);
  std::replace(uid.begin(), uid.end(), '_', '-');
  constexpr std::size_t kLength = 36;
  if (uid.size() != kLength) return "";
  for (std::size_t i = 0; i < uid.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? uid[i] != '-' : std::isxdigit(static_cast<unsigned char>(uid[i])) == 0) return "";
  }
  return uid;
}

std::vector<std::string_view> segments(std::string_view path) {
  std::vector<std::string_view> parts;
  while (!path.empty()) {
    const auto slash = path.find('/');
    const std::string_view part = path.substr(0, slash);
    if (!part.empty()) parts.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

// The pod UID in one segment: "pod<uid>" (cgroupfs) or "kubepods[-<qos>]-pod<uid>.slice"
// (systemd); empty if the segment is neither.
std::string pod_uid_of(std::string_view segment) {
  constexpr std::string_view kSlice = ".slice";
  if (segment.ends_with(kSlice)) {
    segment.remove_suffix(kSlice.size());
    if (!segment.starts_with("kubepods")) return "";
    const auto pod = segment.rfind("-pod");
    return pod == std::string_view::npos ? "" : canonical_uid(segment.substr(pod + 4));
  }
  return segment.starts_with("pod") ? canonical_uid(segment.substr(3)) : "";
}

// The container id in the segment below a pod's: "<id>" (cgroupfs) or
// "{cri-containerd,crio,docker}-<id>.scope" (systemd). crio-conmon-<id>.scope is CRI-O's monitor
// process, not the container's: no id.
std::string container_id_of(std::string_view segment) {
  constexpr std::string_view kScope = ".scope";
  if (segment.ends_with(kScope)) {
    segment.remove_suffix(kScope.size());
    for (const std::string_view prefix : {"cri-containerd-", "crio-", "docker-"}) {
      if (segment.starts_with(prefix) && is_hex(segment.substr(prefix.size()))) {
        return std::string(segment.substr(prefix.size()));
      }
    }
    return "";
  }
  return is_hex(segment) ? std::string(segment) : "";
}

}  // namespace

CgroupOwner owner_of_cgroup_path(std::string_view path) {
  CgroupOwner owner;
  const auto parts = segments(path);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    // Kubernetes: a pod segment inside a kubepods hierarchy.
    if (part.starts_with("kubepods") || part.starts_with("pod")) {
      const bool inside_kubepods =
          part.starts_with("kubepods") ||
          std::any_of(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(i),
                      [](std::string_view p) { return p.starts_with("kubepods"); });
      std::string uid = inside_kubepods ? pod_uid_of(part) : "";
      if (!uid.empty()) {
        owner.kind = CgroupOwner::Kind::pod;
        owner.pod_uid = std::move(uid);
        if (i + 1 < parts.size()) owner.container_id = container_id_of(parts[i + 1]);
        return owner;
      }
    }
    // Slurm v1: slurm[_<node>]/uid_<uid>/job_<id>; v2: slurmstepd.scope/job_<id>.
    const bool slurm_v1 = (part == "slurm" || part.starts_with("slurm_")) && i + 2 < parts.size() &&
                          parts[i + 1].starts_with("uid_") && is_digits(parts[i + 1].substr(4));
    if (slurm_v1 && parts[i + 2].starts_with("job_") && is_digits(parts[i + 2].substr(4))) {
      owner.kind = CgroupOwner::Kind::slurm_job;
      owner.uid = std::string(parts[i + 1].substr(4));
      owner.job_id = std::string(parts[i + 2].substr(4));
      return owner;
    }
    if (part == "slurmstepd.scope" && i + 1 < parts.size() && parts[i + 1].starts_with("job_") &&
        is_digits(parts[i + 1].substr(4))) {
      owner.kind = CgroupOwner::Kind::slurm_job;
      owner.job_id = std::string(parts[i + 1].substr(4));
      return owner;
    }
  }
  return owner;
}

CgroupOwner owner_of_process(std::string_view proc_cgroup_text) {
  while (!proc_cgroup_text.empty()) {
    const auto newline = proc_cgroup_text.find('\n');
    const std::string_view line = proc_cgroup_text.substr(0, newline);
    proc_cgroup_text.remove_prefix(newline == std::string_view::npos ? proc_cgroup_text.size()
                                                                     : newline + 1);
    // <hierarchy id>:<controllers>:<path>; the path may itself hold ':'.
    const auto first = line.find(':');
    const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) continue;
    CgroupOwner owner = owner_of_cgroup_path(line.substr(second + 1));
    if (owner.kind != CgroupOwner::Kind::none) return owner;
  }
  return {};
}

std::optional<std::string> read_process_cgroup(const std::filesystem::path& proc_root, unsigned pid,
                                               bool& missing) {
  missing = false;
  const auto path = proc_root / std::to_string(pid) / "cgroup";
  std::ifstream file(path);
  if (!file) {
    std::error_code error;
    missing = !std::filesystem::exists(path.parent_path(), error);
    return std::nullopt;
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return std::nullopt;
  return text.str();
}

}  // namespace migpower::tenants
