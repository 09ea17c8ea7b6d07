// The agent's /metrics text: families, labels that join with dcgm-exporter, stale cards left out,
// and Prometheus's own linter (promtool check metrics, from Debian's prometheus) finding nothing.

#include "export/prometheus_exposition.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>

namespace migpower {
namespace {

LiveSnapshot two_cards() {
  LiveSnapshot snapshot;
  snapshot.hostname = "node-1";
  snapshot.method = "online";
  snapshot.idle_policy = "slices";
  snapshot.version = "0.1.0";
  snapshot.frames_attributed = 42;
  snapshot.source_errors["read"] = 2;
  for (int g = 0; g < 2; ++g) {
    LiveCard card;
    card.gpu_uuid = "GPU-" + std::to_string(g);
    card.gpu_model = "NVIDIA A100-SXM4-40GB";
    card.gpu_index = g;
    card.frame_wall_s = g == 0 ? 100.0 : 50.0;  // card 1's latest frame is 50 s old
    card.has_power = true;
    card.power_w = 250.0;
    card.energy_j = 1000.0;
    card.residual_w = 1.5;
    const auto instance = [](int id, const char* profile, const char* workload, double power_w,
                             double sd_w) {
      LiveInstance i;
      i.gpu_i_id = id;
      i.profile = profile;
      i.workload = workload;
      i.power_w = power_w;
      i.static_w = 0.2 * power_w;
      i.dynamic_w = 0.8 * power_w;
      i.sd_w = sd_w;
      i.energy_j = 4.0 * power_w;
      i.static_energy_j = 0.8 * power_w;
      i.dynamic_energy_j = 3.2 * power_w;
      return i;
    };
    const LiveInstance a = instance(1, "3g.20gb", "llm", 150.0, 2.0);
    const LiveInstance b =
        instance(2, "4g.20gb", "", 100.0, std::numeric_limits<double>::quiet_NaN());
    card.instances = {a, b};
    snapshot.cards.push_back(card);
  }
  return snapshot;
}

ExpositionOptions at_100s() {
  ExpositionOptions options;
  options.now_wall_s = 100.0;
  options.stale_after_s = 10.0;
  return options;
}

TEST(PrometheusExposition, InstanceSeriesCarryDcgmExportersJoinLabels) {
  const std::string text = prometheus_text(two_cards(), at_100s());
  EXPECT_NE(text.find("# TYPE migpower_instance_power_watts gauge"), std::string::npos);
  EXPECT_NE(text.find("# TYPE migpower_instance_energy_joules_total counter"), std::string::npos);
  EXPECT_NE(text.find("migpower_instance_power_watts{gpu=\"0\",UUID=\"GPU-0\",device=\"nvidia0\","
                      "model_name=\"NVIDIA A100-SXM4-40GB\",hostname=\"node-1\","
                      "GPU_I_PROFILE=\"3g.20gb\",GPU_I_ID=\"1\",workload=\"llm\"} 150"),
            std::string::npos)
      << text;
  // One standard deviation only where the method gave one.
  EXPECT_NE(text.find("migpower_instance_power_sd_watts{gpu=\"0\",UUID=\"GPU-0\""),
            std::string::npos);
  EXPECT_EQ(text.find("GPU_I_ID=\"2\"} nan"), std::string::npos);
  EXPECT_NE(text.find("migpower_source_errors_total{kind=\"read\"} 2"), std::string::npos);
}

TEST(PrometheusExposition, AStaleCardsSeriesLeaveButItsAgeStays) {
  const std::string text = prometheus_text(two_cards(), at_100s());
  EXPECT_EQ(text.find("UUID=\"GPU-1\",device=\"nvidia1\",model_name=\"NVIDIA A100-SXM4-40GB\","
                      "hostname=\"node-1\",GPU_I_PROFILE"),
            std::string::npos)
      << "instance series of a card 50 s without a frame";
  EXPECT_EQ(text.find("migpower_gpu_power_watts{gpu=\"1\""), std::string::npos);
  EXPECT_NE(text.find("migpower_gpu_last_frame_age_seconds{gpu=\"1\""), std::string::npos);
}

TEST(PrometheusExposition, TheHostLabelCanBeSpeltTheOldWay) {
  ExpositionOptions options = at_100s();
  options.hostname_label = "Hostname";
  const std::string text = prometheus_text(two_cards(), options);
  EXPECT_NE(text.find("Hostname=\"node-1\""), std::string::npos);
  EXPECT_EQ(text.find("hostname=\"node-1\""), std::string::npos);
}

TEST(PrometheusExposition, PromtoolFindsNothing) {
  const char* promtool = "/usr/bin/promtool";
  ASSERT_TRUE(std::filesystem::exists(promtool)) << "scripts/install-deps installs prometheus";
  const auto path = std::filesystem::temp_directory_path() /
                    ("migpower-metrics-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << prometheus_text(two_cards(), at_100s());
  const std::string command = std::string(promtool) + " check metrics < " + path.string() + " > " +
                              path.string() + ".out 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream out(path.string() + ".out");
  const std::string findings((std::istreambuf_iterator<char>(out)), {});
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + ".out");
  EXPECT_EQ(status, 0) << findings;
  EXPECT_EQ(findings, "");
}

}  // namespace
}  // namespace migpower
