// `migpower record --source dcgm-exporter=URL` and `migpower sources --dcgm-exporter URL`
// against fixture exporters on loopback, chained into `migpower attribute`.

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/run_command.hpp"
#include "sources/prometheus/fixture_http_server.hpp"
#include "trace/trace_reader.hpp"

namespace migpower {
namespace {

namespace fs = std::filesystem;

const fs::path kFixtures =
    fs::path(MIGPOWER_SOURCE_DIR) / "tests/sources/prometheus/fixtures/dcgm-exporter";

class RecordDcgmExporter : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string a100 = test::read_text_file(kFixtures / "a100-mig-k8s.txt");
    const std::string h100 = test::read_text_file(kFixtures / "h100-mig-k8s.txt");
    node1_.server().Get("/metrics", [this, a100](const httplib::Request&, httplib::Response& res) {
      ++node1_scrapes_;
      res.set_content(a100, "text/plain; version=0.0.4");
    });
    node2_.server().Get("/metrics", [h100](const httplib::Request&, httplib::Response& res) {
      res.set_content(h100, "text/plain; version=0.0.4");
    });
    node1_.start();
    node2_.start();
    trace_ = fs::temp_directory_path() / ("migpower-record-" + std::to_string(::getpid()) + ".csv");
  }
  void TearDown() override { fs::remove(trace_); }

  test::FixtureHttpServer node1_;
  test::FixtureHttpServer node2_;
  std::atomic<int> node1_scrapes_{0};
  fs::path trace_;
};

TEST_F(RecordDcgmExporter, RecordsTwoExportersThenAttributes) {
  const auto recorded = test::run_migpower(
      "record --source dcgm-exporter=" + node1_.url("/metrics") + "," + node2_.url("/metrics") +
      " --interval 200ms --duration 1s --out " + trace_.string());
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_GE(node1_scrapes_, 4);

  TraceReader reader(trace_.string());
  Frame frame;
  std::vector<std::string> uuids;
  std::size_t frames = 0;
  while (reader.next(frame)) {
    ++frames;
    if (frames <= 3) uuids.push_back(frame.gpu_uuid);
    if (frame.gpu_uuid == "GPU-58e8f5ea-13cc-013a-d88f-2bcf5ae8bc77") {
      EXPECT_EQ(frame.power_w, 212.004);
      EXPECT_EQ(frame.instances.size(), 4U);
    }
  }
  EXPECT_EQ(frames % 3, 0U);  // every round: two A100 cards from node 1, one H100 from node 2
  EXPECT_GE(frames, 12U);
  EXPECT_EQ(uuids, (std::vector<std::string>{"GPU-a810a1fc-9f46-0e6f-5cef-bf34c2248e12",
                                             "GPU-604c7a18-e7d0-02e0-723a-7578be840651",
                                             "GPU-58e8f5ea-13cc-013a-d88f-2bcf5ae8bc77"}));

  const auto attributed = test::run_migpower("attribute " + trace_.string() + " --format csv");
  ASSERT_EQ(attributed.exit_code, 0) << attributed.err;
  EXPECT_NE(attributed.out.find("llm/vllm-decode-7c9f8b6d5-xk2lp/vllm"), std::string::npos);
}

TEST_F(RecordDcgmExporter, AnExporterThatDiesEndsTheRecordingWithItsUrl) {
  const std::string url = node2_.url("/metrics");
  node2_.stop();
  const auto recorded =
      test::run_migpower("record --source dcgm-exporter=" + url +
                         " --interval 100ms --duration 1s --out " + trace_.string());
  EXPECT_EQ(recorded.exit_code, 1);
  EXPECT_NE(recorded.err.find(url), std::string::npos) << recorded.err;
  EXPECT_NE(recorded.err.find("cannot connect"), std::string::npos) << recorded.err;
}

TEST_F(RecordDcgmExporter, SourcesListsTheExportersCardsAndFields) {
  const auto listed = test::run_migpower("sources --dcgm-exporter " + node2_.url("/metrics"));
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("dcgm-exporter: available"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("GPU-58e8f5ea-13cc-013a-d88f-2bcf5ae8bc77"), std::string::npos);
  EXPECT_NE(listed.out.find("3g.40gb"), std::string::npos);

  const auto without = test::run_migpower("sources");
  EXPECT_NE(without.out.find("dcgm-exporter: unavailable (no URL given"), std::string::npos)
      << without.out;
}

}  // namespace
}  // namespace migpower
