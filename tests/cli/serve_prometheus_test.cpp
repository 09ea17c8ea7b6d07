// The agent under a real Prometheus (Debian's prometheus, on loopback): Prometheus scrapes the
// agent, replaying a simulated trace 40 times faster than real time, and an exporter fixture
// shaped like dcgm-exporter; queries through Prometheus's HTTP API then check that the
// instances' energy rates sum to the card's, and that migpower's series join dcgm-exporter's on
// (UUID, GPU_I_ID) without relabelling. About 25 s.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "cli/agent_process.hpp"
#include "cli/prometheus_server.hpp"
#include "cli/run_command.hpp"
#include "sources/prometheus/fixture_http_server.hpp"

namespace migpower {
namespace {

using test::AgentProcess;
using test::ChildProcess;
using test::run_migpower;

// An instant query; the result vector as label set -> value.
std::map<std::string, double> query(httplib::Client& prometheus, const std::string& promql) {
  std::map<std::string, double> rows;
  auto response =
      prometheus.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!response || response->status != 200) return rows;
  const nlohmann::json body = nlohmann::json::parse(response->body);
  for (const auto& sample : body["data"]["result"]) {
    rows[sample["metric"].dump()] = std::stod(sample["value"][1].get<std::string>());
  }
  return rows;
}

TEST(ServePrometheus, RatesSumToTheCardAndJoinDcgmExporterSeries) {
  ASSERT_TRUE(std::filesystem::exists(test::kPrometheusBinary))
      << "scripts/install-deps installs prometheus";
  const auto dir = std::filesystem::temp_directory_path() /
                   ("migpower-serve-prometheus-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string trace = (dir / "trace.csv").string();
  ASSERT_EQ(run_migpower("simulate --scenario mixed --duration 1800 --out " + trace).exit_code, 0);
  // The card's UUID and its instances (GPU_I_ID, profile), from the trace's first frame.
  std::ifstream trace_file(trace);
  std::string line;
  std::getline(trace_file,
               line);  // the header: timestamp,gpu_uuid,gpu_model,gpu_i_id,gpu_i_profile
  std::string uuid;
  std::vector<std::pair<std::string, std::string>> instances_of_trace;
  while (std::getline(trace_file, line)) {
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; cells.size() < 5 && std::getline(row, cell, ',');) cells.push_back(cell);
    if (cells.size() < 5) continue;
    if (cells[3].empty()) {
      if (!uuid.empty()) break;  // the second frame begins
      uuid = cells[1];
    } else {
      instances_of_trace.emplace_back(cells[3], cells[4]);
    }
  }
  ASSERT_EQ(instances_of_trace.size(), 4u);

  // dcgm-exporter as it serves a MIG card: one series per instance, its labels in its order.
  test::FixtureHttpServer exporter;
  std::string exposition =
      "# HELP DCGM_FI_PROF_GR_ENGINE_ACTIVE Ratio of time the graphics "
      "engine is active.\n# TYPE DCGM_FI_PROF_GR_ENGINE_ACTIVE gauge\n";
  for (const auto& [id, profile] : instances_of_trace) {
    exposition += "DCGM_FI_PROF_GR_ENGINE_ACTIVE{gpu=\"0\",UUID=\"" + uuid +
                  "\",pci_bus_id=\"00000000:07:00.0\",device=\"nvidia0\","
                  "modelName=\"NVIDIA A100-SXM4-40GB\",GPU_I_PROFILE=\"" +
                  profile + "\",GPU_I_ID=\"" + id + "\",hostname=\"n1\"} 0.500000\n";
  }
  exporter.server().Get("/metrics", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(exposition, "text/plain");
  });
  exporter.start();

  AgentProcess agent({"--source", "replay=" + trace, "--speed", "40", "--hostname", "n1"},
                     dir / "agent");
  ASSERT_GT(agent.port(), 0) << agent.process().err();

  test::PrometheusServer prometheus(
      dir, {{"migpower", agent.port()}, {"dcgm-exporter", exporter.port()}});
  httplib::Client client = prometheus.client();

  // Wait (bounded) until Prometheus holds 12 s of the agent's counters.
  std::map<std::string, double> instances, cards;
  for (int attempt = 0; attempt < 60; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    instances = query(client, "sum by (UUID) (rate(migpower_instance_energy_joules_total[12s]))");
    cards = query(client, "sum by (UUID) (rate(migpower_gpu_energy_joules_total[12s]))");
    const auto samples = query(client, "count_over_time(migpower_gpu_energy_joules_total[12s])");
    if (!samples.empty() && samples.begin()->second >= 10 && !instances.empty()) break;
  }
  ASSERT_EQ(instances.size(), 1u) << prometheus.process().err();
  ASSERT_EQ(cards.size(), 1u);
  const double instance_rate = instances.begin()->second;
  const double card_rate = cards.begin()->second;
  EXPECT_GT(card_rate, 40.0 * 55.0);  // at 40x, at least the A100's idle floor
  EXPECT_NEAR(instance_rate, card_rate, 0.01 * card_rate);
  EXPECT_NE(instances.begin()->first.find(uuid), std::string::npos);

  // The join with dcgm-exporter's series: one row per instance, no relabelling.
  const auto joined = query(client,
                            "migpower_instance_power_watts * on (UUID, GPU_I_ID) group_left () "
                            "DCGM_FI_PROF_GR_ENGINE_ACTIVE");
  EXPECT_EQ(joined.size(), 4u);

  prometheus.process().signal(SIGTERM);
  EXPECT_TRUE(prometheus.process().wait_exit(std::chrono::seconds(20)).has_value());
  agent.process().signal(SIGTERM);
  EXPECT_EQ(agent.process().wait_exit(std::chrono::seconds(10)), 0);
  exporter.stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace migpower
