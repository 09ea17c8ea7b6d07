// The agent's ledger, end to end with real processes and real databases: kill -9 loses at most
// the bucket in flight and a replay stores nothing twice (SQLite file); three agents write one
// PostgreSQL database at once, through an outage of the database, and its sums equal each
// agent's own ledger.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/agent_process.hpp"
#include "cli/run_command.hpp"
#include "postgres_server.hpp"

namespace migpower {
namespace {

using test::AgentProcess;
using test::run_migpower;

// The first column of the first row of `sql` on a SQLite file, as a double (0 when none).
double sqlite_value(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  double value = 0.0;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(db, 2000);
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr) == SQLITE_OK &&
        sqlite3_step(statement) == SQLITE_ROW) {
      value = sqlite3_column_double(statement, 0);
    }
    sqlite3_finalize(statement);
  }
  sqlite3_close(db);
  return value;
}

class ServeLedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-serve-ledger-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string trace(const std::string& scenario, int seconds) {
    const std::string path = (dir_ / (scenario + ".csv")).string();
    const auto result = run_migpower("simulate --scenario " + scenario + " --duration " +
                                     std::to_string(seconds) + " --out " + path);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return path;
  }

  // Waits (bounded) until the agent's /metrics shows its replay ended, then stops it.
  static void finish(AgentProcess& agent) {
    EXPECT_FALSE(agent
                     .poll(
                         "/metrics",
                         [](const httplib::Response& r) {
                           return r.body.find("\nmigpower_source_ended 1") != std::string::npos;
                         },
                         std::chrono::seconds(60))
                     .empty())
        << agent.process().err();
    agent.process().signal(SIGTERM);
    EXPECT_EQ(agent.process().wait_exit(std::chrono::seconds(20)), 0) << agent.process().err();
  }

  std::filesystem::path dir_;
};

TEST_F(ServeLedgerTest, KillNineLosesAtMostTheBucketInFlightAndAReplayStoresNothingTwice) {
  const std::string replay = "replay=" + trace("mixed", 1800);
  const std::string ledger = (dir_ / "ledger.db").string();
  const std::string cards_count = "SELECT count(*) FROM card_energy";
  {
    AgentProcess agent({"--source", replay, "--speed", "150", "--ledger", ledger}, dir_ / "first");
    ASSERT_GT(agent.port(), 0) << agent.process().err();
    for (int i = 0; i < 200 && sqlite_value(ledger, cards_count) < 4; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    agent.process().signal(SIGKILL);
    ASSERT_EQ(agent.process().wait_exit(std::chrono::seconds(10)), 128 + SIGKILL);
  }
  const double buckets = sqlite_value(ledger, cards_count);
  ASSERT_GE(buckets, 4.0);
  ASSERT_LT(buckets, 30.0) << "the replay ended before the kill: nothing was in flight";
  // What was committed is whole: consecutive buckets from the first, each conserved.
  EXPECT_EQ(sqlite_value(ledger,
                         "SELECT (max(bucket_start) - min(bucket_start)) / 60 + 1 "
                         "FROM card_energy"),
            buckets);
  EXPECT_NEAR(sqlite_value(ledger,
                           "SELECT max(abs(c.measured_j - c.unattributed_j - (SELECT "
                           "sum(i.energy_j) FROM instance_energy i WHERE i.gpu_uuid = "
                           "c.gpu_uuid AND i.bucket_start = c.bucket_start AND "
                           "i.segment_start = c.segment_start))) FROM card_energy c"),
              0.0, 1e-6);
  const double committed_j = sqlite_value(ledger, "SELECT sum(measured_j) FROM card_energy");

  // The restarted agent's counters continue from the ledger, and its replay of the same trace
  // writes the same keys: every bucket ends up stored exactly once.
  AgentProcess again({"--source", replay, "--speed", "150", "--ledger", ledger}, dir_ / "second");
  ASSERT_GT(again.port(), 0) << again.process().err();
  const std::string first_answer = again.poll("/api/v1/instances", [](const httplib::Response& r) {
    return r.status == 200 && !nlohmann::json::parse(r.body)["cards"].empty();
  });
  ASSERT_FALSE(first_answer.empty());
  EXPECT_GE(nlohmann::json::parse(first_answer)["cards"][0]["energy_j"].get<double>(), committed_j);
  // While it runs, /api/v1/energy sums the committed buckets from the file.
  httplib::Client http("127.0.0.1", again.port());
  http.set_read_timeout(10, 0);
  auto energy = http.Get("/api/v1/energy?group_by=gpu&from=0");
  ASSERT_TRUE(energy);
  ASSERT_EQ(energy->status, 200) << energy->body;
  const nlohmann::json live = nlohmann::json::parse(energy->body);
  EXPECT_EQ(live["group_by"], "gpu");
  ASSERT_EQ(live["rows"].size(), 1u);
  EXPECT_GE(live["total"]["energy_j"].get<double>(), 0.9 * committed_j);
  for (const char* bad : {"/api/v1/energy?group_by=colour", "/api/v1/energy?from=yesterday",
                          "/api/v1/energy?from=100&to=50", "/api/v1/energy?per=pod"}) {
    auto refused = http.Get(bad);
    ASSERT_TRUE(refused) << bad;
    EXPECT_EQ(refused->status, 400) << bad;
    EXPECT_TRUE(nlohmann::json::parse(refused->body).contains("error")) << bad;
  }
  finish(again);
  EXPECT_EQ(sqlite_value(ledger, cards_count), 30.0);
  // The ledger now holds exactly what an uninterrupted attribution of the trace gives.
  const auto whole = run_migpower("attribute " + replay.substr(7) + " --format json");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const double expected_j = nlohmann::json::parse(whole.out)["cards"][0]["energy_j"].get<double>();
  EXPECT_NEAR(sqlite_value(ledger, "SELECT sum(measured_j) FROM card_energy"), expected_j,
              1e-9 * expected_j);
  EXPECT_NEAR(sqlite_value(ledger, "SELECT sum(energy_j) FROM instance_energy"), expected_j,
              1e-9 * expected_j);
  // And a report of the ledger bills the same energy: its groups sum to the card's.
  const auto report = run_migpower("report " + ledger + " --format json");
  ASSERT_EQ(report.exit_code, 0) << report.err;
  double reported_j = 0.0;
  const nlohmann::json document = nlohmann::json::parse(report.out);
  for (const auto& group : document["groups"]) {
    reported_j += group["energy_kwh"].get<double>() * 3.6e6;
  }
  EXPECT_NEAR(reported_j, expected_j, 1e-6 * expected_j);

  // `migpower ledger query` bills the same energy, per instance and in total, in every format.
  const auto query = run_migpower("ledger query " + ledger + " --group-by instance --format json");
  ASSERT_EQ(query.exit_code, 0) << query.err;
  const nlohmann::json answer = nlohmann::json::parse(query.out);
  EXPECT_EQ(answer["rows"].size(), 4u);  // mixed: four instances
  EXPECT_NEAR(answer["total"]["energy_j"].get<double>(), expected_j, 1e-9 * expected_j);
  EXPECT_NEAR(answer["total"]["energy_kwh"].get<double>() * 3.6e6, expected_j, 1e-6 * expected_j);
  EXPECT_TRUE(answer["total"]["carbon_location_g"].is_null()) << "no intensity was given";
  const auto table = run_migpower("ledger query " + ledger + " --from 1767225600");
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_NE(table.out.find("energy kWh"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("total"), std::string::npos);
  const auto csv = run_migpower("ledger query " + ledger + " --group-by gpu --format csv");
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out.rfind("node,gpu_uuid,energy_kwh,energy_j,", 0), 0u) << csv.out;
  // Bad parameters are usage errors (2), a missing ledger bad input (1), each with a message.
  for (const char* bad :
       {" --group-by colour", " --from yesterday", " --format xml", " --from 100 --to 50"}) {
    const auto refused = run_migpower("ledger query " + ledger + bad);
    EXPECT_EQ(refused.exit_code, 2) << bad;
    EXPECT_NE(refused.err.find("usage:"), std::string::npos) << refused.err;
  }
  const auto missing = run_migpower("ledger query " + (dir_ / "nope.db").string());
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("no ledger file"), std::string::npos) << missing.err;

  // The roll-up command (its effect is tested in tests/ledger/bucket_rollup_test.cpp): 30
  // minutes are within --keep 1h of the newest bucket, so nothing changes.
  const auto rollup = run_migpower("ledger rollup " + ledger + " --keep 1h");
  ASSERT_EQ(rollup.exit_code, 0) << rollup.err;
  EXPECT_NE(rollup.err.find("0 card and 0 instance rows"), std::string::npos) << rollup.err;
  EXPECT_EQ(sqlite_value(ledger, cards_count), 30.0);
  const auto rolled = run_migpower("ledger rollup " + ledger + " --keep 1m");
  EXPECT_EQ(rolled.exit_code, 2) << "--keep below an hour";
  const auto keep_none = run_migpower("ledger rollup " + ledger + " --keep 1h --node other");
  EXPECT_EQ(keep_none.exit_code, 0);
  EXPECT_NE(keep_none.err.find("no buckets"), std::string::npos) << keep_none.err;
}

TEST_F(ServeLedgerTest, ThreeAgentsWriteOnePostgresThroughAnOutageAndItsSumsMatchTheirOwn) {
  test::PostgresServer postgres(dir_ / "postgres");
  ASSERT_TRUE(postgres.found()) << "scripts/install-deps installs postgresql";
  ASSERT_TRUE(postgres.start()) << postgres.error();

  std::vector<std::string> ledgers;
  std::vector<std::unique_ptr<AgentProcess>> agents;
  int k = 0;
  for (const std::string scenario : {"mixed", "seven-1g", "h100-mix"}) {
    ledgers.push_back((dir_ / (scenario + ".db")).string());
    agents.push_back(std::make_unique<AgentProcess>(
        std::vector<std::string>{"--source", "replay=" + trace(scenario, 1200), "--speed", "100",
                                 "--hostname", "node-" + std::to_string(++k), "--ledger",
                                 ledgers.back(), "--ledger", postgres.url(), "--ledger-spool",
                                 (dir_ / (scenario + "-spool.db")).string(), "--carbon-intensity",
                                 "380"},
        dir_ / scenario));
    ASSERT_GT(agents.back()->port(), 0) << agents.back()->process().err();
  }
  // The database goes away for a while: the agents keep attributing and spool.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  postgres.stop();
  const std::string during = agents[0]->poll("/metrics", [](const httplib::Response& r) {
    return r.body.find("migpower_ledger_fleet_up 0") != std::string::npos &&
           r.body.find("migpower_ledger_pending_batches 0") == std::string::npos;
  });
  EXPECT_FALSE(during.empty()) << agents[0]->process().err();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  ASSERT_TRUE(postgres.start()) << postgres.error();
  for (auto& agent : agents) finish(*agent);

  for (std::size_t i = 0; i < ledgers.size(); ++i) {
    const std::string node = "'node-" + std::to_string(i + 1) + "'";
    const double own = sqlite_value(ledgers[i], "SELECT sum(energy_j) FROM instance_energy");
    const double own_rows = sqlite_value(ledgers[i], "SELECT count(*) FROM instance_energy");
    EXPECT_GT(own, 0.0);
    EXPECT_EQ(
        std::stod(postgres.query("SELECT count(*) FROM instance_energy WHERE node = " + node)),
        own_rows);
    EXPECT_NEAR(
        std::stod(postgres.query("SELECT sum(energy_j) FROM instance_energy WHERE node = " + node)),
        own, 1e-9 * own);
    EXPECT_NEAR(std::stod(postgres.query("SELECT sum(carbon_location_g) FROM instance_energy "
                                         "WHERE node = " +
                                         node)),
                own / 3.6e6 * 380.0, 1e-6 * own);
  }
  // `migpower ledger query` sums the fleet database per node, to the same figures.
  const auto fleet =
      run_migpower("ledger query " + postgres.url() + " --group-by node --format json");
  ASSERT_EQ(fleet.exit_code, 0) << fleet.err;
  const nlohmann::json per_node = nlohmann::json::parse(fleet.out);
  ASSERT_EQ(per_node["rows"].size(), ledgers.size());
  for (std::size_t i = 0; i < ledgers.size(); ++i) {
    const nlohmann::json& row = per_node["rows"][i];
    EXPECT_EQ(row["node"], "node-" + std::to_string(i + 1));
    const double own = sqlite_value(ledgers[i], "SELECT sum(energy_j) FROM instance_energy");
    EXPECT_NEAR(row["energy_j"].get<double>(), own, 1e-9 * own);
    EXPECT_NEAR(row["carbon_location_kg"].get<double>(), own / 3.6e6 * 0.380, 1e-6 * own);
  }
  // Fleet SQL of docs/ledger.md works on it.
  EXPECT_FALSE(postgres.query("SELECT sum(energy_kwh) FROM tenant_energy_daily").empty());
  postgres.stop();
}

}  // namespace
}  // namespace migpower
