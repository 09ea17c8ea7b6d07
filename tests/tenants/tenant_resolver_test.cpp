// The three tenant sources together: a fake kubelet whose pods come and go during the test, cgroup
// fixtures for processes, and a mapping file; their precedence, and the health a kubelet that
// goes away and comes back leaves.

#include "tenants/tenant_resolver.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "tenants/fake_kubelet.hpp"

namespace migpower::tenants {
namespace {

using test::FakeKubelet;
using test::FakePod;
using test::TempDir;
using namespace std::chrono_literals;

const std::filesystem::path kProc =
    std::filesystem::path(MIGPOWER_SOURCE_DIR) / "tests" / "tenants" / "fixtures" / "proc";

// A node with one A100 split into GPU instances 1 and 2 (MIG devices MIG-a and MIG-b).
DeviceDirectory& a_node() {
  static DeviceDirectory directory;
  directory.replace({{"GPU-c0"}, {{"MIG-a", {"GPU-c0", 1}}, {"MIG-b", {"GPU-c0", 2}}}});
  return directory;
}

FakePod pod_on(const std::string& name, const std::string& mig_uuid) {
  return {name, "ml", {{"main", {{"nvidia.com/mig-3g.20gb", {mig_uuid}}}}}};
}

struct Fixture {
  explicit Fixture(const std::string& name) : dir(name), kubelet(dir.path() / "kubelet.sock") {
    options.kubelet = true;
    options.kubelet_socket = (dir.path() / "kubelet.sock").string();
    options.kubelet_timeout = 2s;
    options.clock = [this] { return now_s; };
    options.on_warning = [this](const std::string& message) { warnings.push_back(message); };
  }
  TempDir dir;
  FakeKubelet kubelet;
  TenantResolverOptions options;
  double now_s = 1000.0;
  std::vector<std::string> warnings;
};

std::string tenant_of(TenantResolver& resolver, int gpu_i_id, std::span<const unsigned> pids = {}) {
  const auto tenant = resolver.resolve({"GPU-c0", gpu_i_id, {}, pids});
  return tenant ? tenant->tenant : "";
}

TEST(TenantResolver, PodsComeAndGo) {
  Fixture f("resolver-pods");
  f.kubelet.set_pods({pod_on("trainer-0", "MIG-a")});
  f.kubelet.start();
  TenantResolver resolver(f.options, &a_node());
  resolver.refresh();
  const auto tenant = resolver.resolve({"GPU-c0", 1, {}, {}});
  ASSERT_TRUE(tenant);
  EXPECT_EQ(tenant->source, TenantSource::kubelet);
  EXPECT_EQ(tenant->pod, "trainer-0");
  EXPECT_EQ(tenant->namespace_name, "ml");
  EXPECT_EQ(tenant->container, "main");
  EXPECT_EQ(tenant->tenant, "ml/trainer-0");
  EXPECT_EQ(tenant_of(resolver, 2), "");

  // A second pod arrives on the other instance; then the first ends.
  f.kubelet.set_pods({pod_on("trainer-0", "MIG-a"), pod_on("infer-7", "MIG-b")});
  resolver.refresh();
  EXPECT_EQ(tenant_of(resolver, 1), "ml/trainer-0");
  EXPECT_EQ(tenant_of(resolver, 2), "ml/infer-7");
  f.kubelet.set_pods({pod_on("infer-7", "MIG-b")});
  resolver.refresh();
  EXPECT_EQ(tenant_of(resolver, 1), "");
  EXPECT_EQ(tenant_of(resolver, 2), "ml/infer-7");

  const TenantHealth health = resolver.health();
  EXPECT_TRUE(health.kubelet.enabled);
  EXPECT_TRUE(health.kubelet.ok);
  EXPECT_EQ(health.kubelet.attempts, 3u);
  EXPECT_EQ(health.kubelet.entries, 1u);
  EXPECT_EQ(health.kubelet.last_success_age_s, 0.0);
  EXPECT_TRUE(health.errors.empty());
  EXPECT_TRUE(f.warnings.empty());
}

TEST(TenantResolver, TheCallersMigUuidsWorkWithoutADirectory) {
  Fixture f("resolver-mig-uuids");
  f.kubelet.set_pods({pod_on("trainer-0", "MIG-a")});
  f.kubelet.start();
  TenantResolver resolver(f.options);
  resolver.refresh();
  EXPECT_FALSE(resolver.resolve({"GPU-c0", 1, {}, {}}));
  const std::vector<std::string> migs = {"MIG-a"};
  EXPECT_EQ(resolver.resolve({"GPU-c0", 1, migs, {}})->pod, "trainer-0");
}

TEST(TenantResolver, ALayoutChangeReplacesThePlacement) {
  Fixture f("resolver-layout");
  f.kubelet.set_pods({pod_on("trainer-0", "MIG-new")});
  f.kubelet.start();
  DeviceDirectory directory;
  directory.replace({{"GPU-c0"}, {{"MIG-a", {"GPU-c0", 1}}}});
  TenantResolver resolver(f.options, &directory);
  resolver.refresh();
  EXPECT_EQ(tenant_of(resolver, 3), "");
  EXPECT_EQ(resolver.health().errors.at("device_unplaced"), 1u);
  // The agent learns the new MIG device: the next resolve places it, without asking the kubelet.
  directory.replace({{"GPU-c0"}, {{"MIG-new", {"GPU-c0", 3}}}});
  EXPECT_EQ(tenant_of(resolver, 3), "ml/trainer-0");
  EXPECT_EQ(f.kubelet.calls(), 1);
}

TEST(TenantResolver, AKubeletRestartIsSurvived) {
  Fixture f("resolver-restart");
  f.options.kubelet_stale_after_s = 60.0;
  f.kubelet.set_pods({pod_on("trainer-0", "MIG-a")});
  f.kubelet.start();
  TenantResolver resolver(f.options, &a_node());
  resolver.refresh();
  ASSERT_EQ(tenant_of(resolver, 1), "ml/trainer-0");

  // The kubelet goes away (its socket too): one warning, counted, last answer kept a while.
  f.kubelet.stop();
  f.now_s += 10;
  resolver.refresh();
  f.now_s += 10;
  resolver.refresh();
  TenantHealth health = resolver.health();
  EXPECT_FALSE(health.kubelet.ok);
  EXPECT_EQ(health.errors.at("kubelet_socket_missing"), 2u);
  EXPECT_EQ(health.kubelet.last_success_age_s, 20.0);
  EXPECT_NE(health.kubelet.last_error.find("kubelet.sock"), std::string::npos);
  ASSERT_EQ(f.warnings.size(), 1u);
  EXPECT_NE(f.warnings[0].find("no socket"), std::string::npos);
  EXPECT_EQ(tenant_of(resolver, 1), "ml/trainer-0");
  // Past kubelet_stale_after_s the pods are no longer trusted.
  f.now_s += 45;
  EXPECT_EQ(tenant_of(resolver, 1), "");

  // It comes back with another pod: the warning says so, and its answer is used.
  f.kubelet.set_pods({pod_on("trainer-1", "MIG-a")});
  f.kubelet.start();
  resolver.refresh();
  health = resolver.health();
  EXPECT_TRUE(health.kubelet.ok);
  EXPECT_TRUE(health.kubelet.last_error.empty());
  EXPECT_EQ(health.kubelet.last_success_age_s, 0.0);
  ASSERT_EQ(f.warnings.size(), 2u);
  EXPECT_NE(f.warnings[1].find("answers again"), std::string::npos);
  EXPECT_EQ(tenant_of(resolver, 1), "ml/trainer-1");
}

TEST(TenantResolver, NoKubeletAtAllIsAWarningNotACrash) {
  Fixture f("resolver-no-kubelet");
  TenantResolver resolver(f.options, &a_node());
  resolver.refresh();
  resolver.refresh();
  EXPECT_EQ(tenant_of(resolver, 1), "");
  const TenantHealth health = resolver.health();
  EXPECT_FALSE(health.kubelet.ok);
  EXPECT_FALSE(health.kubelet.last_success_age_s);
  EXPECT_EQ(health.errors.at("kubelet_socket_missing"), 2u);
  EXPECT_EQ(f.warnings.size(), 1u);
}

TEST(TenantResolver, TheBackgroundRefreshFollowsTheKubelet) {
  Fixture f("resolver-thread");
  f.options.clock = nullptr;
  f.options.refresh_interval_s = 0.05;
  f.kubelet.set_pods({pod_on("trainer-0", "MIG-a")});
  f.kubelet.start();
  TenantResolver resolver(f.options, &a_node());
  resolver.start();  // refreshes once before it returns
  EXPECT_EQ(tenant_of(resolver, 1), "ml/trainer-0");
  f.kubelet.set_pods({pod_on("trainer-2", "MIG-a")});
  std::string seen;
  for (int attempt = 0; attempt < 200 && seen != "ml/trainer-2"; ++attempt) {
    std::this_thread::sleep_for(10ms);
    seen = tenant_of(resolver, 1);
  }
  EXPECT_EQ(seen, "ml/trainer-2");
  resolver.stop();
  const int calls = f.kubelet.calls();
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(f.kubelet.calls(), calls);  // stopped means stopped
}

TEST(TenantResolver, ProcessesNameTheirPodOrJob) {
  Fixture f("resolver-cgroups");
  f.options.kubelet = false;
  f.options.process_cgroups = true;
  f.options.proc_root = kProc;
  TenantResolver resolver(f.options, &a_node());
  const std::vector<unsigned> pod_processes = {1001, 1005};  // a container and a login shell
  auto tenant = resolver.resolve({"GPU-c0", 1, {}, pod_processes});
  ASSERT_TRUE(tenant);
  EXPECT_EQ(tenant->source, TenantSource::cgroup);
  EXPECT_EQ(tenant->tenant, "pod/6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(tenant->pod_uid, "6f1a2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b");
  EXPECT_EQ(tenant->container_id,
            "3c7f0e5a9b2d4e6f8a1c3e5b7d9f1a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4f");
  EXPECT_TRUE(tenant->pod.empty());  // the cgroup knows no pod name

  const std::vector<unsigned> job_processes = {1003, 99999};  // one ended meanwhile
  tenant = resolver.resolve({"GPU-c0", 2, {}, job_processes});
  ASSERT_TRUE(tenant);
  EXPECT_EQ(tenant->tenant, "slurm/4242");
  EXPECT_EQ(tenant->slurm_job, "4242");
  EXPECT_EQ(tenant->slurm_uid, "1000");
  EXPECT_EQ(tenant_of(resolver, 2, std::vector<unsigned>{1005}), "");  // no tenant's process

  // Two jobs on one instance: the smallest, and the instance is counted shared.
  const std::vector<unsigned> two_jobs = {1004, 1003};
  EXPECT_EQ(tenant_of(resolver, 2, two_jobs), "slurm/4242");
  EXPECT_EQ(tenant_of(resolver, 2, two_jobs), "slurm/4242");
  TenantHealth health = resolver.health();
  EXPECT_EQ(health.shared_instances, 1u);
  EXPECT_EQ(health.errors.at("shared_instance"), 1u);   // once per occurrence, not per frame
  EXPECT_FALSE(health.errors.contains("cgroup_read"));  // an ended process is no error
  EXPECT_TRUE(health.cgroups.ok);
  EXPECT_EQ(health.cgroups.entries, 4u);  // 1001, 1005, 1003, 1004
  tenant_of(resolver, 2, job_processes);
  EXPECT_EQ(resolver.health().shared_instances, 0u);
}

TEST(TenantResolver, CgroupsAreCachedForTheirTtl) {
  Fixture f("resolver-cgroup-cache");
  f.options.kubelet = false;
  f.options.process_cgroups = true;
  const TempDir proc("resolver-proc");
  f.options.proc_root = proc.path();
  f.options.cgroup_ttl_s = 10.0;
  std::filesystem::create_directories(proc.path() / "42");
  std::ofstream(proc.path() / "42" / "cgroup")
      << "0::/system.slice/slurmstepd.scope/job_1/step_0\n";
  TenantResolver resolver(f.options);
  const std::vector<unsigned> pids = {42};
  EXPECT_EQ(tenant_of(resolver, 0, pids), "slurm/1");
  // The pid is reused by another job: seen once the cached answer is older than the TTL.
  std::ofstream(proc.path() / "42" / "cgroup")
      << "0::/system.slice/slurmstepd.scope/job_2/step_0\n";
  f.now_s += 5;
  EXPECT_EQ(tenant_of(resolver, 0, pids), "slurm/1");
  f.now_s += 5;
  EXPECT_EQ(tenant_of(resolver, 0, pids), "slurm/2");
  EXPECT_EQ(resolver.health().cgroups.attempts, 2u);
}

TEST(TenantResolver, KubeletThenCgroupsThenTheMappingFile) {
  Fixture f("resolver-precedence");
  f.options.process_cgroups = true;
  f.options.proc_root = kProc;
  f.options.mapping_file = f.dir.path() / "tenants.map";
  std::ofstream(f.options.mapping_file) << "GPU-c0 * platform\n";
  f.kubelet.set_pods({pod_on("trainer-0", "MIG-a")});
  f.kubelet.start();
  TenantResolver resolver(f.options, &a_node());
  resolver.refresh();
  const std::vector<unsigned> job = {1003};
  EXPECT_EQ(tenant_of(resolver, 1, job), "ml/trainer-0");  // the kubelet's allocation wins
  EXPECT_EQ(tenant_of(resolver, 2, job), "slurm/4242");    // then the processes
  const auto mapped = resolver.resolve({"GPU-c0", 2, {}, {}});
  ASSERT_TRUE(mapped);  // then the mapping
  EXPECT_EQ(mapped->source, TenantSource::mapping);
  EXPECT_EQ(mapped->tenant, "platform");
  EXPECT_EQ(source_name(mapped->source), "mapping");
  EXPECT_FALSE(resolver.resolve({"GPU-other", 2, {}, {}}));
  const TenantHealth health = resolver.health();
  EXPECT_TRUE(health.mapping.ok);
  EXPECT_EQ(health.mapping.entries, 1u);
}

TEST(TenantResolver, AMappingFileChangedOrBrokenWhileRunning) {
  Fixture f("resolver-mapping");
  f.options.kubelet = false;
  f.options.mapping_file = f.dir.path() / "tenants.map";
  TenantResolver resolver(f.options);
  resolver.refresh();  // not there yet
  EXPECT_EQ(resolver.health().errors.at("mapping_missing"), 1u);
  EXPECT_FALSE(resolver.health().mapping.ok);
  const auto write = [&](const std::string& text, int second) {
    std::ofstream(f.options.mapping_file) << text;
    std::filesystem::last_write_time(
        f.options.mapping_file,
        std::filesystem::file_time_type(std::chrono::seconds(1'700'000'000 + second)));
  };
  write("GPU-c0 0 alpha\n", 1);
  resolver.refresh();
  EXPECT_EQ(tenant_of(resolver, 0), "alpha");
  write("GPU-c0 0 alpha beta\n", 2);
  resolver.refresh();
  EXPECT_EQ(tenant_of(resolver, 0), "alpha");  // kept
  const TenantHealth health = resolver.health();
  EXPECT_EQ(health.errors.at("mapping_invalid"), 1u);
  EXPECT_NE(health.mapping.last_error.find("tenants.map:1"), std::string::npos);
  ASSERT_EQ(f.warnings.size(), 2u);
  write("GPU-c0 0 gamma\n", 3);
  resolver.refresh();
  EXPECT_EQ(tenant_of(resolver, 0), "gamma");
  EXPECT_TRUE(resolver.health().mapping.ok);
}

TEST(TenantResolver, LabelsForTheAgent) {
  const Tenant pod = kubelet_tenant("trainer-0", "ml", "main");
  const auto labels = tenant_labels(pod);
  EXPECT_EQ(labels[0].first, "pod");
  EXPECT_EQ(labels[0].second, "trainer-0");
  EXPECT_EQ(labels[1].first, "namespace");
  EXPECT_EQ(labels[1].second, "ml");
  EXPECT_EQ(labels[2].second, "main");
  EXPECT_EQ(labels[3].first, "tenant");
  EXPECT_EQ(labels[3].second, "ml/trainer-0");
  Tenant mapped;
  mapped.tenant = "team-a";
  EXPECT_EQ(tenant_labels(mapped)[0].second, "");
  EXPECT_EQ(tenant_labels(mapped)[3].second, "team-a");
}

}  // namespace
}  // namespace migpower::tenants
