// Every PromQL expression of the Grafana dashboard (deploy/grafana/migpower.json), and each of
// its variables' queries, run against a real Prometheus (Debian's, on loopback) scraping the
// agent as it replays a simulated trace 40 times faster than real time. Each must succeed and
// answer a non-empty result, with the dashboard's variables replaced by this run's values.
// Panels over series the agent does not publish yet (kPending) must still parse and run. ~20 s.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "cli/agent_process.hpp"
#include "cli/prometheus_server.hpp"
#include "cli/run_command.hpp"

namespace migpower {
namespace {

using test::AgentProcess;
using test::ChildProcess;
using test::run_migpower;

// Series the dashboard shows that the agent does not serve yet: carbon (the ledger's carbon
// intensity) and the tenant sources' health. Their panels must run without error; they may be
// empty. Remove a name once the agent serves it, and the test then demands data.
const std::set<std::string> kPending = {"migpower_instance_carbon_grams_total",
                                        "migpower_tenant_source_up",
                                        "migpower_tenant_errors_total"};

struct Answer {
  bool ok = false;
  std::size_t series = 0;
  std::string error;
};

Answer query(httplib::Client& prometheus, const std::string& promql) {
  Answer answer;
  auto response =
      prometheus.Get("/api/v1/query", httplib::Params{{"query", promql}}, httplib::Headers{});
  if (!response) {
    answer.error = "no answer from Prometheus";
    return answer;
  }
  const nlohmann::json body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded() || body.value("status", "") != "success") {
    answer.error = response->body;
    return answer;
  }
  answer.ok = true;
  answer.series = body["data"]["result"].size();
  return answer;
}

// Grafana's variables as this run has them: the job, the node, the card, and the built-in
// intervals a 12-second window of 1-second scrapes can answer.
std::string substitute(std::string expr, const std::string& uuid) {
  const std::vector<std::pair<std::string, std::string>> values = {
      {"$__rate_interval", "5s"}, {"$__interval", "1s"}, {"$__range", "12s"},
      {"$job", "migpower"},       {"$hostname", "n1"},   {"$gpu", uuid}};
  for (const auto& [name, value] : values) {
    for (auto at = expr.find(name); at != std::string::npos; at = expr.find(name, at)) {
      expr.replace(at, name.size(), value);
      at += value.size();
    }
  }
  return expr;
}

// Every target's expression, from panels and panels nested in rows.
void collect(const nlohmann::json& panels, std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& panel : panels) {
    if (panel.contains("panels")) collect(panel["panels"], out);
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      out.emplace_back(panel.value("title", "?") + " / " + target.value("refId", "?"),
                       target.value("expr", ""));
    }
  }
}

TEST(GrafanaDashboard, EveryQueryRunsAgainstTheAgentsSeries) {
  ASSERT_TRUE(std::filesystem::exists(test::kPrometheusBinary))
      << "scripts/install-deps installs prometheus";
  std::ifstream file(std::filesystem::path(MIGPOWER_SOURCE_DIR) / "deploy" / "grafana" /
                     "migpower.json");
  const nlohmann::json dashboard = nlohmann::json::parse(file);
  std::vector<std::pair<std::string, std::string>> targets;
  collect(dashboard["panels"], targets);
  ASSERT_GE(targets.size(), 10u);
  // Grafana's label_values(SELECTOR, LABEL) for each variable, as PromQL.
  const std::regex label_values(R"(^label_values\((.*),\s*([A-Za-z_]+)\)$)");
  std::vector<std::pair<std::string, std::string>> variables;
  for (const auto& variable : dashboard["templating"]["list"]) {
    if (variable.value("type", "") != "query") continue;
    EXPECT_EQ(variable["datasource"]["uid"], "${datasource}") << variable["name"];
    const std::string definition = variable["query"]["query"];
    std::smatch match;
    ASSERT_TRUE(std::regex_match(definition, match, label_values)) << definition;
    variables.emplace_back("variable " + variable["name"].get<std::string>(),
                           "count by (" + match[2].str() + ") (" + match[1].str() + ")");
  }
  ASSERT_EQ(variables.size(), 3u);

  const auto dir =
      std::filesystem::temp_directory_path() / ("migpower-grafana-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string trace = (dir / "trace.csv").string();
  ASSERT_EQ(run_migpower("simulate --scenario mixed --duration 1800 --out " + trace).exit_code, 0);
  std::string uuid;
  {
    std::ifstream trace_file(trace);
    std::string line;
    std::getline(trace_file, line);
    std::getline(trace_file, line);  // the first card row: timestamp,gpu_uuid,...
    uuid = line.substr(line.find(',') + 1);
    uuid = uuid.substr(0, uuid.find(','));
  }
  ASSERT_EQ(uuid.rfind("GPU-", 0), 0u) << uuid;

  AgentProcess agent({"--source", "replay=" + trace, "--speed", "40", "--hostname", "n1"},
                     dir / "agent");
  ASSERT_GT(agent.port(), 0) << agent.process().err();
  test::PrometheusServer prometheus(dir, {{"migpower", agent.port()}});
  httplib::Client client = prometheus.client();

  // Wait (bounded) until Prometheus holds 12 s of the agent's series.
  for (int attempt = 0; attempt < 60; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const Answer enough =
        query(client, "count_over_time(migpower_gpu_energy_joules_total[12s]) >= 10");
    if (enough.ok && enough.series > 0) break;
  }

  for (const auto& [where, expr] : variables) {
    const Answer answer = query(client, substitute(expr, uuid));
    EXPECT_TRUE(answer.ok) << where << ": " << expr << ": " << answer.error;
    EXPECT_GT(answer.series, 0u) << where << ": " << expr;
  }
  std::size_t pending = 0;
  for (const auto& [where, expr] : targets) {
    ASSERT_FALSE(expr.empty()) << where;
    const std::string promql = substitute(expr, uuid);
    EXPECT_EQ(promql.find('$'), std::string::npos) << where << ": a variable left: " << promql;
    const Answer answer = query(client, promql);
    EXPECT_TRUE(answer.ok) << where << ": " << promql << ": " << answer.error;
    const bool waits = std::any_of(kPending.begin(), kPending.end(), [&](const std::string& name) {
      return expr.find(name) != std::string::npos;
    });
    if (waits) {
      ++pending;
    } else {
      EXPECT_GT(answer.series, 0u) << where << ": empty: " << promql;
    }
  }
  EXPECT_EQ(pending, 3u);  // carbon, and the two tenant-source queries

  prometheus.process().signal(SIGTERM);
  EXPECT_TRUE(prometheus.process().wait_exit(std::chrono::seconds(20)).has_value());
  agent.process().signal(SIGTERM);
  EXPECT_EQ(agent.process().wait_exit(std::chrono::seconds(10)), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace migpower
