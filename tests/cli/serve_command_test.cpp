// `migpower serve`, end to end through the real binary: its endpoints on a replayed simulator
// trace, bad requests, a source that cannot be opened, the config file, and a warm restart
// through --state after SIGTERM.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/agent_process.hpp"
#include "cli/run_command.hpp"

namespace migpower {
namespace {

using test::AgentProcess;
using test::run_migpower;

// The rows of `sql` on a SQLite file, as the sqlite3 shell prints them ("a|b\n").
std::string run_migpower_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string rows;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK) {
      while (sqlite3_step(statement) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(statement); ++c) {
          const auto* text = sqlite3_column_text(statement, c);
          rows += (c > 0 ? "|" : "") + std::string(text ? reinterpret_cast<const char*>(text) : "");
        }
        rows += "\n";
      }
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return rows;
}

class ServeCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-serve-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A simulated trace of `seconds` of the "mixed" scenario (one A100, four instances).
  std::string trace(int seconds) {
    const std::string path = (dir_ / "trace.csv").string();
    const auto result = run_migpower("simulate --scenario mixed --duration " +
                                     std::to_string(seconds) + " --out " + path);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return path;
  }
  std::filesystem::path log(const std::string& name) const { return dir_ / name; }

  std::filesystem::path dir_;
};

bool ok(const httplib::Response& response) { return response.status == 200; }

TEST_F(ServeCommandTest, ServesEveryEndpointAndStopsOnSigterm) {
  AgentProcess agent({"--source", "replay=" + trace(600), "--speed", "20", "--hostname", "n1"},
                     log("agent"));
  ASSERT_GT(agent.port(), 0) << agent.process().err();
  httplib::Client http = agent.client();

  auto health = http.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_FALSE(agent.poll("/readyz", ok).empty()) << agent.process().err();

  // Each instance's share sums to the card's measured power.
  const std::string body = agent.poll("/api/v1/instances", [](const httplib::Response& r) {
    return r.status == 200 && nlohmann::json::parse(r.body)["cards"].size() == 1;
  });
  ASSERT_FALSE(body.empty());
  const nlohmann::json document = nlohmann::json::parse(body);
  EXPECT_EQ(document["hostname"], "n1");
  EXPECT_EQ(document["method"], "online");
  const nlohmann::json& card = document["cards"][0];
  ASSERT_EQ(card["instances"].size(), 4u);
  double sum = 0.0;
  for (const auto& instance : card["instances"]) {
    sum += instance["power_w"].get<double>();
    EXPECT_TRUE(instance["power_sd_w"].is_number());
    EXPECT_EQ(instance["labels"]["UUID"], card["gpu_uuid"]);
  }
  EXPECT_NEAR(sum, card["power_w"].get<double>(), 1e-6);

  // Bad requests get their status and a message.
  auto unknown = http.Get("/api/v1/instances?colour=blue");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  EXPECT_NE(unknown->body.find("unknown parameter 'colour'"), std::string::npos);
  auto no_card = http.Get("/api/v1/instances?gpu=GPU-nope");
  ASSERT_TRUE(no_card);
  EXPECT_EQ(no_card->status, 404);
  auto no_path = http.Get("/nothing-here");
  ASSERT_TRUE(no_path);
  EXPECT_EQ(no_path->status, 404);
  EXPECT_NE(no_path->body.find("/metrics"), std::string::npos);
  auto no_ledger = http.Get("/api/v1/energy");
  ASSERT_TRUE(no_ledger);
  EXPECT_EQ(no_ledger->status, 404);
  EXPECT_NE(no_ledger->body.find("--ledger"), std::string::npos);

  // /metrics, gzipped when asked.
  auto metrics = http.Get("/metrics", {{"Accept-Encoding", "gzip"}});
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_EQ(metrics->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(metrics->get_header_value("Content-Encoding"), "gzip");
  auto plain = http.Get("/metrics");
  ASSERT_TRUE(plain);
  EXPECT_NE(plain->body.find("migpower_instance_power_watts{gpu=\"0\""), std::string::npos);
  EXPECT_NE(plain->body.find("hostname=\"n1\""), std::string::npos);

  agent.process().signal(SIGTERM);
  EXPECT_EQ(agent.process().wait_exit(std::chrono::seconds(10)), 0) << agent.process().err();
}

TEST_F(ServeCommandTest, AMalformedOrHugeRequestDoesNotStopTheAgent) {
  AgentProcess agent({"--source", "replay=" + trace(300), "--speed", "10"}, log("agent"));
  ASSERT_GT(agent.port(), 0) << agent.process().err();
  // 1 MB of header junk on a raw socket, then a request line that is no HTTP at all.
  for (const std::string& junk :
       {std::string("GET /metrics HTTP/1.1\r\nX: ") + std::string(1 << 20, 'a') + "\r\n\r\n",
        std::string("\x01\x02 garbage \xff\r\n\r\n")}) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(agent.port()));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    (void)::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    ::close(fd);
  }
  httplib::Client http = agent.client();
  auto health = http.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_TRUE(agent.process().running());
}

TEST_F(ServeCommandTest, ASourceThatCannotOpenIsCountedAndTheAgentKeepsServing) {
  AgentProcess agent({"--source", "replay=" + (dir_ / "missing.csv").string()}, log("agent"));
  ASSERT_GT(agent.port(), 0) << agent.process().err();
  const std::string metrics = agent.poll("/metrics", [](const httplib::Response& r) {
    return r.body.find("migpower_source_errors_total{kind=\"open\"} 1") != std::string::npos;
  });
  EXPECT_FALSE(metrics.empty()) << agent.process().err();
  httplib::Client http = agent.client();
  auto ready = http.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  EXPECT_NE(agent.process().err().find("missing.csv"), std::string::npos);
}

TEST_F(ServeCommandTest, AConfigFileSetsOptionsAndNamesItsBadKeys) {
  const std::string config = (dir_ / "serve.toml").string();
  std::ofstream(config) << "# migpower serve\nsource = \"replay=" << trace(120)
                        << "\"\nspeed = 40\nhostname = \"from-file\"\n";
  AgentProcess agent({"--config", config, "--hostname", "from-command-line"}, log("agent"));
  ASSERT_GT(agent.port(), 0) << agent.process().err();
  const std::string body = agent.poll("/api/v1/instances", ok);
  ASSERT_FALSE(body.empty());
  EXPECT_EQ(nlohmann::json::parse(body)["hostname"], "from-command-line");  // the command line wins
  EXPECT_NE(agent.process().err().find("serving replay="), std::string::npos);

  std::ofstream(config) << "speed = 2\nspeeed = 3\n";
  auto typo = run_migpower("serve --config " + config);
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find(config + ":2:1: key 'speeed' is not an option"), std::string::npos)
      << typo.err;
  std::ofstream(config) << "speed = \"fast\"\n";
  auto bad = run_migpower("serve --config " + config);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find(config + ":1:9: key 'speed'"), std::string::npos) << bad.err;
  std::ofstream(config) << "speed = [1, 2]\n";
  auto array = run_migpower("serve --config " + config);
  EXPECT_EQ(array.exit_code, 2);
  EXPECT_NE(array.err.find("must be a string, a number or true/false"), std::string::npos);
}

TEST_F(ServeCommandTest, SigtermSavesTheStateAndARestartResumesFromIt) {
  const std::string state = (dir_ / "state.json").string();
  const std::string replay = "replay=" + trace(1200);
  double energy_before = 0.0;
  {
    AgentProcess agent({"--source", replay, "--speed", "100", "--state", state}, log("first"));
    ASSERT_GT(agent.port(), 0) << agent.process().err();
    ASSERT_FALSE(agent.poll("/readyz", ok).empty());
    std::this_thread::sleep_for(std::chrono::seconds(2));
    agent.process().signal(SIGTERM);
    ASSERT_EQ(agent.process().wait_exit(std::chrono::seconds(10)), 0) << agent.process().err();
  }
  std::ifstream file(state);
  const nlohmann::json saved = nlohmann::json::parse(file);
  ASSERT_EQ(saved["format"], "migpower-agent-state");
  ASSERT_EQ(saved["cards"].size(), 1u);
  EXPECT_TRUE(saved["cards"][0]["model"].is_object());
  energy_before = saved["cards"][0]["energy_j"].get<double>();
  EXPECT_GT(energy_before, 0.0);
  EXPECT_FALSE(std::filesystem::exists(state + ".tmp"));

  AgentProcess again({"--source", replay, "--speed", "100", "--state", state}, log("second"));
  ASSERT_GT(again.port(), 0) << again.process().err();
  EXPECT_NE(again.process().err().find("state loaded from " + state), std::string::npos);
  const std::string body = again.poll("/api/v1/instances", [](const httplib::Response& r) {
    return r.status == 200 && !nlohmann::json::parse(r.body)["cards"].empty();
  });
  ASSERT_FALSE(body.empty());
  // The counters continue from the saved totals: no reset for Prometheus to see.
  EXPECT_GE(nlohmann::json::parse(body)["cards"][0]["energy_j"].get<double>(), energy_before);
  const std::string metrics = again.poll("/metrics", ok);
  EXPECT_NE(metrics.find("migpower_events_total{kind=\"warm_start\"} 1"), std::string::npos);

  // A state file of another version is refused with a message; the agent starts cold.
  again.process().signal(SIGTERM);
  ASSERT_EQ(again.process().wait_exit(std::chrono::seconds(10)), 0);
  nlohmann::json other = saved;
  other["migpower_version"] = "0.0.9";
  std::ofstream(state) << other.dump();
  AgentProcess cold({"--source", replay, "--speed", "100", "--state", state}, log("third"));
  ASSERT_GT(cold.port(), 0) << cold.process().err();
  EXPECT_NE(cold.process().err().find("state refused, starting cold: " + state +
                                      " was written by migpower \"0.0.9\""),
            std::string::npos)
      << cold.process().err();
}

}  // namespace
}  // namespace migpower

namespace migpower {
namespace {

// Tenants from a mapping file reach /metrics, the JSON API and the ledger; when the file gives
// an instance to someone else, the old tenant's series leave /metrics and its energy stays in
// the ledger under its name.
TEST_F(ServeCommandTest, TenantsReachMetricsJsonAndTheLedger) {
  const std::string replay = "replay=" + trace(1200);
  std::ifstream trace_file(replay.substr(7));
  std::string line;
  std::getline(trace_file, line);
  std::getline(trace_file, line);
  const std::string uuid =
      line.substr(line.find(',') + 1, line.find(',', line.find(',') + 1) - line.find(',') - 1);
  const std::string map = (dir_ / "tenants.map").string();
  std::ofstream(map) << "# card GPU_I_ID tenant\n" << uuid << " 1 team-a\n";
  const std::string ledger = (dir_ / "ledger.db").string();
  AgentProcess agent({"--source", replay, "--speed", "60", "--tenant-map", map, "--tenant-refresh",
                      "200ms", "--ledger", ledger},
                     log("agent"));
  ASSERT_GT(agent.port(), 0) << agent.process().err();
  const auto has = [](const std::string& text) {
    return [text](const httplib::Response& r) { return r.body.find(text) != std::string::npos; };
  };
  EXPECT_FALSE(
      agent.poll("/metrics", has("GPU_I_ID=\"1\",tenant=\"team-a\",workload=\"llm-serving\"}"))
          .empty());
  EXPECT_FALSE(agent.poll("/api/v1/instances", has("\"tenant\":\"team-a\"")).empty());
  EXPECT_FALSE(
      agent.poll("/metrics", has("migpower_tenant_source_up{source=\"mapping\"} 1")).empty());

  std::this_thread::sleep_for(std::chrono::seconds(2));  // buckets of team-a close meanwhile
  std::ofstream(map) << uuid << " 1 team-b\n";
  const std::string after = agent.poll("/metrics", has("tenant=\"team-b\",workload"));
  ASSERT_FALSE(after.empty());
  EXPECT_EQ(after.find("tenant=\"team-a\""), std::string::npos);  // no frozen series
  std::this_thread::sleep_for(std::chrono::seconds(2));
  agent.process().signal(SIGTERM);
  ASSERT_EQ(agent.process().wait_exit(std::chrono::seconds(10)), 0) << agent.process().err();
  // Both tenants' energy is in the ledger, each under its name.
  const auto ledger_rows = run_migpower_sql(ledger,
                                            "SELECT tenant, count(*), sum(energy_j) > 0 FROM "
                                            "instance_energy WHERE gpu_i_id = 1 GROUP BY tenant");
  EXPECT_NE(ledger_rows.find("team-a|"), std::string::npos) << ledger_rows;
  EXPECT_NE(ledger_rows.find("team-b|"), std::string::npos) << ledger_rows;
}

}  // namespace
}  // namespace migpower

namespace migpower {
namespace {

// `serve --source nvml --duration` on the fake NVML library: attributes a real NVML source's
// frames and exits when the duration is over (what bench/cli/agent_bench times); a replay takes
// no --duration.
TEST_F(ServeCommandTest, ALiveSourceWithADurationStopsByItself) {
  const std::string scenario = (dir_ / "scenario.json").string();
  std::ofstream(scenario) << R"({"wall_clock": true, "tick_seconds": 0.1, "devices": [{
      "uuid": "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "name": "NVIDIA A100-SXM4-40GB",
      "power_mw": [180000, 260000], "energy_start_mj": 1000000, "power_limit_mw": 400000,
      "sm_clock_mhz": 1410, "mem_clock_mhz": 1215, "temperature_c": 40, "memory_used_mib": 10,
      "mig_layouts": [{"instances": [
        {"slot": 0, "gi": 1, "profile": "3g.20gb", "gi_slices": 3, "fb_used_mib": 1000},
        {"slot": 6, "gi": 13, "profile": "1g.5gb", "gi_slices": 1, "fb_used_mib": 300}]}]}]})";
  ::setenv("MIGPOWER_NVML_LIBRARY", MIGPOWER_FAKE_NVML, 1);
  ::setenv("MIGPOWER_FAKE_NVML_SCENARIO", scenario.c_str(), 1);
  const auto result =
      run_migpower("serve --source nvml --interval 100ms --duration 1s --listen 127.0.0.1:0");
  ::unsetenv("MIGPOWER_NVML_LIBRARY");
  ::unsetenv("MIGPOWER_FAKE_NVML_SCENARIO");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  const std::size_t at = result.err.find("stopped after ");
  ASSERT_NE(at, std::string::npos) << result.err;
  EXPECT_GE(std::stoi(result.err.substr(at + 14)), 5);  // about 10 ticks of the one card

  const auto replay = run_migpower("serve --source simulate=mixed --duration 1s");
  EXPECT_EQ(replay.exit_code, 2);
  EXPECT_NE(replay.err.find("--duration is for live sources"), std::string::npos);
}

}  // namespace
}  // namespace migpower
