// Processes to tenants by their cgroups, on /proc/<pid>/cgroup files recorded as fixtures
// (tests/tenants/fixtures/proc/): cgroup v1 and v2, Kubernetes' cgroupfs and systemd drivers,
// containerd, CRI-O and Docker, Slurm's v1 and v2 plugins.

#include "tenants/cgroup_owner.hpp"

#include <gtest/gtest.h>

namespace migpower::tenants {
namespace {

const std::filesystem::path kProc =
    std::filesystem::path(MIGPOWER_SOURCE_DIR) / "tests" / "tenants" / "fixtures" / "proc";

CgroupOwner owner_of_fixture(unsigned pid) {
  bool missing = false;
  const auto text = read_process_cgroup(kProc, pid, missing);
  EXPECT_TRUE(text.has_value()) << pid;
  return owner_of_process(text.value_or(""));
}

CgroupOwner pod(std::string uid, std::string container) {
  CgroupOwner owner;
  owner.kind = CgroupOwner::Kind::pod;
  owner.pod_uid = std::move(uid);
  owner.container_id = std::move(container);
  return owner;
}

CgroupOwner job(std::string id, std::string uid) {
  CgroupOwner owner;
  owner.kind = CgroupOwner::Kind::slurm_job;
  owner.job_id = std::move(id);
  owner.uid = std::move(uid);
  return owner;
}

constexpr const char* kUid1 = "6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b";
constexpr const char* kUid2 = "0b9c8d7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e";
constexpr const char* kUid3 = "a1b2c3d4-e5f6-4a7b-8c9d-e0f1a2b3c4d5";
constexpr const char* kContainer1 =
    "3c7f0e5a9b2d4e6f8a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4f";
constexpr const char* kContainer2 =
    "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";
constexpr const char* kContainer3 =
    "1111222233334444555566667777888899990000aaaabbbbccccddddeeeeffff";

TEST(CgroupOwner, KubernetesPodsInEveryLayout) {
  EXPECT_EQ(owner_of_fixture(1001), pod(kUid1, kContainer1));  // v2, systemd, containerd
  EXPECT_EQ(owner_of_fixture(1002), pod(kUid2, kContainer2));  // v1, cgroupfs, docker
  EXPECT_EQ(owner_of_fixture(1006), pod(kUid3, kContainer3));  // v2, cgroupfs, guaranteed
  EXPECT_EQ(owner_of_fixture(1007), pod(kUid3, kContainer3));  // v2, CRI-O, in a cgroup ns
  EXPECT_EQ(owner_of_fixture(1008), pod(kUid3, ""));           // CRI-O's conmon
  EXPECT_EQ(owner_of_fixture(1010), pod(kUid1, ""));           // the pod's own slice
}

TEST(CgroupOwner, SlurmJobsInV1AndV2) {
  EXPECT_EQ(owner_of_fixture(1003), job("4242", "1000"));  // v1: the controllers' lines
  EXPECT_EQ(owner_of_fixture(1004), job("4243", ""));      // v2: under slurmstepd.scope
  EXPECT_EQ(owner_of_fixture(1009), job("77", "2001"));    // v1, multiple slurmd
}

TEST(CgroupOwner, EverythingElseHasNoOwner) {
  EXPECT_EQ(owner_of_fixture(1005).kind, CgroupOwner::Kind::none);  // a login session
  EXPECT_EQ(owner_of_fixture(1011).kind, CgroupOwner::Kind::none);  // a look-alike service
  EXPECT_EQ(owner_of_process("").kind, CgroupOwner::Kind::none);
  EXPECT_EQ(owner_of_process("garbage without colons\n").kind, CgroupOwner::Kind::none);
  // A pod segment outside kubepods, a UID of the wrong shape, a job id that is not a number.
  EXPECT_EQ(owner_of_cgroup_path("/machine.slice/pod6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b").kind,
            CgroupOwner::Kind::none);
  EXPECT_EQ(owner_of_cgroup_path("/kubepods/burstable/pod1234/abc").kind, CgroupOwner::Kind::none);
  EXPECT_EQ(owner_of_cgroup_path("/slurm/uid_1000/job_x/step_0").kind, CgroupOwner::Kind::none);
  EXPECT_EQ(owner_of_cgroup_path("/slurm/job_5/step_0").kind, CgroupOwner::Kind::none);
}

TEST(CgroupOwner, AProcessThatEndedIsMissingNotUnreadable) {
  bool missing = false;
  EXPECT_FALSE(read_process_cgroup(kProc, 99999, missing));
  EXPECT_TRUE(missing);
}

}  // namespace
}  // namespace migpower::tenants
