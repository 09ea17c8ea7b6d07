// `migpower serve` on live dcgm-exporter sources (fixtures on loopback): several cards at once,
// a card that disappears, and an exporter that hangs; the agent keeps serving throughout, shows
// no frozen values and says what happened.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/agent_process.hpp"
#include "sources/prometheus/fixture_http_server.hpp"

namespace migpower {
namespace {

using test::AgentProcess;

std::string fixture(const std::string& name) {
  return test::read_text_file(std::string(MIGPOWER_SOURCE_DIR) +
                              "/tests/sources/prometheus/fixtures/dcgm-exporter/" + name);
}

TEST(ServeLive, SeveralCardsACardThatDisappearsAndAnExporterThatHangs) {
  const std::string a100 = fixture("a100-mig-k8s.txt");  // two A100 cards
  const std::string h100 = fixture("h100-mig-k8s.txt");  // one H100
  test::FixtureHttpServer first;
  first.server().Get("/metrics", [&](const httplib::Request&, httplib::Response& response) {
    response.set_content(a100, "text/plain");
  });
  std::atomic<int> second_mode{0};  // 0: serves the H100, 1: no card, 2: hangs
  test::FixtureHttpServer second;
  second.server().Get("/metrics", [&](const httplib::Request&, httplib::Response& response) {
    // Hangs (bounded: 15 s) until the test lets it go.
    for (int i = 0; i < 300 && second_mode == 2; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    response.set_content(second_mode == 0 ? h100 : std::string("# no GPU here\n"), "text/plain");
  });
  first.start();
  second.start();

  const auto dir = std::filesystem::temp_directory_path() /
                   ("migpower-serve-live-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  AgentProcess agent(
      {"--source", "dcgm-exporter=" + first.url("/metrics") + "," + second.url("/metrics"),
       "--interval", "200ms", "--stale-after", "2s"},
      dir / "agent");
  ASSERT_GT(agent.port(), 0) << agent.process().err();
  const auto cards = [](const httplib::Response& r) {
    return r.status == 200 ? nlohmann::json::parse(r.body)["cards"].size() : 0;
  };
  const std::string all =
      agent.poll("/api/v1/instances", [&](const httplib::Response& r) { return cards(r) == 3; });
  ASSERT_FALSE(all.empty()) << agent.process().err();
  const nlohmann::json document = nlohmann::json::parse(all);
  for (const auto& card : document["cards"]) {
    double sum = 0.0;
    for (const auto& instance : card["instances"]) sum += instance["power_w"].get<double>();
    EXPECT_NEAR(sum, card["power_w"].get<double>(), 1e-6);
  }

  // The H100 disappears: its series leave /metrics, the A100s' stay, its frame age grows.
  second_mode = 1;
  const std::string gone = agent.poll("/metrics", [](const httplib::Response& r) {
    return r.body.find("migpower_instance_power_watts{gpu=\"2\"") == std::string::npos;
  });
  ASSERT_FALSE(gone.empty());
  EXPECT_EQ(gone.find("migpower_instance_power_watts{gpu=\"2\""), std::string::npos);
  EXPECT_NE(gone.find("migpower_instance_power_watts{gpu=\"0\""), std::string::npos);
  EXPECT_NE(gone.find("migpower_gpu_last_frame_age_seconds{gpu=\"2\""), std::string::npos);

  // The exporter hangs: no frame comes, the agent still answers at once, and after
  // --stale-after every card's series leave: nothing frozen is shown.
  second_mode = 2;
  const std::string stalled = agent.poll("/metrics", [](const httplib::Response& r) {
    return r.body.find("migpower_instance_power_watts{") == std::string::npos;
  });
  EXPECT_FALSE(stalled.empty());
  httplib::Client http = agent.client();
  http.set_read_timeout(1, 0);
  const auto health = http.Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  // It answers again, with the H100: so do the series.
  second_mode = 0;
  EXPECT_FALSE(agent
                   .poll("/metrics",
                         [](const httplib::Response& r) {
                           return r.body.find("migpower_instance_power_watts{gpu=\"2\"") !=
                                  std::string::npos;
                         })
                   .empty());
  agent.process().signal(SIGTERM);
  EXPECT_EQ(agent.process().wait_exit(std::chrono::seconds(20)), 0) << agent.process().err();
  first.stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace migpower
