// `migpower import prometheus` against a real Prometheus server (Debian's /usr/bin/prometheus)
// scraping a fixture dcgm-exporter on loopback, and `migpower import nvidia-smi`.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cli/run_command.hpp"
#include "loopback_port.hpp"
#include "sources/prometheus/fixture_http_server.hpp"
#include "trace/trace_reader.hpp"

namespace migpower {
namespace {

namespace fs = std::filesystem;
constexpr const char* kPrometheus = "/usr/bin/prometheus";
const std::string kUuid = "GPU-a810a1fc-9f46-0e6f-5cef-bf34c2248e12";

double now_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A loopback port nothing listens on right now.

fs::path make_temp_dir() {
  const fs::path dir =
      fs::temp_directory_path() / ("migpower-import-" + std::to_string(::getpid()) + "-" +
                                   std::to_string(static_cast<long long>(now_s() * 1000)));
  fs::create_directories(dir);
  return dir;
}

// One scrape of the fixture exporter: an A100 with two MIG instances whose values move with
// the scrape number n, the card's power repeated on both instance series (as dcgm-exporter does).
std::string exporter_payload(int n) {
  const auto series = [&](const std::string& name, int id, const std::string& profile,
                          const std::string& pod, const std::string& value) {
    std::string labels = "gpu=\"0\",UUID=\"" + kUuid +
                         "\",device=\"nvidia0\",modelName=\"NVIDIA A100-SXM4-40GB\","
                         "GPU_I_PROFILE=\"" +
                         profile + "\",GPU_I_ID=\"" + std::to_string(id) +
                         "\",Hostname=\"fixture-node\"";
    if (!pod.empty()) labels += ",container=\"main\",namespace=\"team\",pod=\"" + pod + "\"";
    return name + "{" + labels + "} " + value + "\n";
  };
  const auto fixed = [](double v) {
    char text[32];
    std::snprintf(text, sizeof(text), "%.6f", v);
    return std::string(text);
  };
  std::string text =
      "# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).\n# TYPE DCGM_FI_DEV_POWER_USAGE gauge\n";
  text += series("DCGM_FI_DEV_POWER_USAGE", 1, "3g.20gb", "llm-0", fixed(150.0 + n));
  text += series("DCGM_FI_DEV_POWER_USAGE", 2, "4g.20gb", "", fixed(150.25 + n));
  text +=
      "# HELP DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION Total energy consumption since boot (in "
      "mJ).\n# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter\n";
  text += series("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", 1, "3g.20gb", "llm-0",
                 std::to_string(1000000 + 150000 * n));
  text += series("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", 2, "4g.20gb", "",
                 std::to_string(1000000 + 150000 * n + 7));
  text +=
      "# HELP DCGM_FI_PROF_GR_ENGINE_ACTIVE Ratio of time the graphics engine is active.\n"
      "# TYPE DCGM_FI_PROF_GR_ENGINE_ACTIVE gauge\n";
  text += series("DCGM_FI_PROF_GR_ENGINE_ACTIVE", 1, "3g.20gb", "llm-0", fixed((n % 10) / 10.0));
  text += series("DCGM_FI_PROF_GR_ENGINE_ACTIVE", 2, "4g.20gb", "", fixed(0.05));
  return text;
}

// Prometheus on loopback with its own config and storage, stopped when the test ends.
class PrometheusProcess {
 public:
  PrometheusProcess(const fs::path& dir, int exporter_port)
      : dir_(dir), port_(test::free_loopback_port()) {
    std::ofstream config(dir / "prometheus.yml");
    config << "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
           << "scrape_configs:\n  - job_name: dcgm-exporter\n    static_configs:\n"
           << "      - targets: ['127.0.0.1:" << exporter_port << "']\n";
    config.close();
    const std::string config_arg = "--config.file=" + (dir / "prometheus.yml").string();
    const std::string storage_arg = "--storage.tsdb.path=" + (dir / "data").string();
    const std::string listen_arg = "--web.listen-address=127.0.0.1:" + std::to_string(port_);
    const std::string log = (dir / "prometheus.log").string();
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
      }
      ::execl(kPrometheus, kPrometheus, config_arg.c_str(), storage_arg.c_str(), listen_arg.c_str(),
              "--log.level=warn", static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~PrometheusProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (::waitpid(pid_, &status, WNOHANG) == 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
      }
    }
  }
  PrometheusProcess(const PrometheusProcess&) = delete;
  PrometheusProcess& operator=(const PrometheusProcess&) = delete;

  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  [[nodiscard]] std::string log() const { return test::read_text_file(dir_ / "prometheus.log"); }

  // Waits until /-/ready answers 200.
  bool wait_ready(std::chrono::seconds limit) const {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(0, 200000);
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto result = client.Get("/-/ready");
      if (result && result->status == 200) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  fs::path dir_;
  int port_;
  pid_t pid_ = -1;
};

std::vector<Frame> read_trace(const fs::path& path) {
  TraceReader reader(path.string());
  std::vector<Frame> frames;
  Frame frame;
  while (reader.next(frame)) frames.push_back(frame);
  return frames;
}

TEST(ImportPrometheus, RealPrometheusScrapingAFixtureExporter) {
  if (!fs::exists(kPrometheus)) {
    GTEST_SKIP() << kPrometheus << " is absent (Debian package prometheus)";
  }
  const fs::path dir = make_temp_dir();
  test::FixtureHttpServer exporter;
  std::atomic<int> scrapes{0};
  std::atomic<double> first_scrape{0.0};
  exporter.server().Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    const int n = ++scrapes;
    if (n == 1) first_scrape = now_s();
    res.set_content(exporter_payload(n), "text/plain; version=0.0.4");
  });
  exporter.start();
  PrometheusProcess prometheus(dir, exporter.port());
  ASSERT_TRUE(prometheus.wait_ready(std::chrono::seconds(15))) << prometheus.log();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (scrapes < 7 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GE(scrapes, 7) << prometheus.log();
  // The range ends in the past, and every scrape that started before its end is ingested before
  // the first import (scrape_timeout 0.9 s), so both imports below see the same data.
  const long long from = static_cast<long long>(std::floor(first_scrape)) - 2;
  const long long to = static_cast<long long>(std::floor(now_s())) - 1;
  while (now_s() < static_cast<double>(to) + 2.0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const fs::path trace = dir / "trace.csv";
  const fs::path paged = dir / "paged.csv";
  const std::string common = "import prometheus --url " + prometheus.url() + " --from " +
                             std::to_string(from) + " --to " + std::to_string(to) + " --step 1s ";
  const auto result = test::run_migpower(common + "--out " + trace.string());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("import: "), std::string::npos) << result.err;

  const auto frames = read_trace(trace);
  ASSERT_GE(frames.size(), 4U) << test::read_file(trace);
  std::set<int> scrape_numbers;
  double previous = 0.0;
  for (const Frame& frame : frames) {
    EXPECT_EQ(frame.gpu_uuid, kUuid);
    EXPECT_EQ(frame.gpu_model, "NVIDIA A100-SXM4-40GB");
    EXPECT_GT(frame.timestamp_s, previous);
    EXPECT_EQ(frame.timestamp_s, std::floor(frame.timestamp_s));  // on the 1 s grid
    previous = frame.timestamp_s;
    ASSERT_TRUE(frame.power_w.has_value());
    // One copy of the card's power (150 + n), never the two copies summed (300.25 + 2n).
    const double n = *frame.power_w - 150.0;
    EXPECT_EQ(n, std::round(n)) << *frame.power_w;
    EXPECT_GE(n, 1.0);
    EXPECT_LE(n, scrapes.load());
    scrape_numbers.insert(static_cast<int>(n));
    EXPECT_EQ(frame.energy_mj, 1000000.0 + 150000.0 * n);
    ASSERT_EQ(frame.instances.size(), 2U);
    EXPECT_EQ(frame.instances[0].gpu_i_id, 1);
    EXPECT_EQ(frame.instances[0].profile, "3g.20gb");
    EXPECT_EQ(frame.instances[0].workload, "team/llm-0/main");
    // The instance's activity comes from the same scrape as the card's power.
    EXPECT_NEAR(*frame.instances[0].get(Activity::gr_engine), (static_cast<int>(n) % 10) / 10.0,
                1e-9);
    EXPECT_EQ(frame.instances[1].gpu_i_id, 2);
    EXPECT_EQ(frame.instances[1].get(Activity::gr_engine), 0.05);
    EXPECT_EQ(frame.instances[1].workload, "");
  }
  EXPECT_GE(scrape_numbers.size(), 3U);  // values changed from scrape to scrape

  // Paged into windows of three steps, the import is the same file.
  const auto paged_result =
      test::run_migpower(common + "--points-per-request 3 --out " + paged.string());
  ASSERT_EQ(paged_result.exit_code, 0) << paged_result.err;
  EXPECT_EQ(test::read_file(paged), test::read_file(trace));

  // And the trace attributes: the shares of each frame add up to the card's power.
  const auto attributed = test::run_migpower("attribute " + trace.string() + " --format csv");
  ASSERT_EQ(attributed.exit_code, 0) << attributed.err;
  EXPECT_NE(attributed.out.find("team/llm-0/main"), std::string::npos);

  fs::remove_all(dir);
}

TEST(ImportPrometheus, UnreachableServerAndBadOptions) {
  const int port = test::free_loopback_port();
  const auto unreachable =
      test::run_migpower("import prometheus --url http://127.0.0.1:" + std::to_string(port) +
                         " --from 2026-11-01T00:00:00Z --to 2026-11-01T00:01:00Z --timeout 0.5 "
                         "--retries 0 --out /dev/null");
  EXPECT_EQ(unreachable.exit_code, 1);
  EXPECT_NE(unreachable.err.find("cannot connect"), std::string::npos) << unreachable.err;

  const auto bad_time = test::run_migpower(
      "import prometheus --url http://127.0.0.1:1 --from yesterday --to 1763000000");
  EXPECT_EQ(bad_time.exit_code, 2);
  EXPECT_NE(bad_time.err.find("--from 'yesterday' is not a time"), std::string::npos)
      << bad_time.err;
  const auto backwards = test::run_migpower(
      "import prometheus --url http://127.0.0.1:1 --from 1763000100 --to 1763000000");
  EXPECT_EQ(backwards.exit_code, 2);
  const auto bad_step = test::run_migpower(
      "import prometheus --url http://127.0.0.1:1 --from 1763000000 --to 1763000100 --step x");
  EXPECT_EQ(bad_step.exit_code, 2);
}

TEST(ImportNvidiaSmi, ConvertsALogToATrace) {
  const fs::path dir = make_temp_dir();
  const fs::path trace = dir / "smi.csv";
  const std::string log =
      std::string(MIGPOWER_SOURCE_DIR) + "/tests/sources/nvidia_smi/fixtures/nvidia-smi/units.csv";
  const auto result = test::run_migpower("import nvidia-smi " + log +
                                         " --utc-offset +01:00 --out " + trace.string());
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("import: 4 frames of 2 GPU(s)"), std::string::npos) << result.err;
  const auto frames = read_trace(trace);
  ASSERT_EQ(frames.size(), 4U);
  EXPECT_EQ(frames[0].gpu_uuid, kUuid);
  EXPECT_EQ(frames[0].power_w, 62.35);
  EXPECT_EQ(frames[0].timestamp_text, "1793523600.123");  // 10:00:00.123 at UTC+01:00
  EXPECT_FALSE(frames[3].power_w.has_value());

  const auto bad =
      test::run_migpower("import nvidia-smi " + std::string(MIGPOWER_SOURCE_DIR) +
                         "/tests/sources/nvidia_smi/fixtures/nvidia-smi/bad-number.csv");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("bad-number.csv:2: column power.draw: 'sixty W' is not a number"),
            std::string::npos)
      << bad.err;
  const auto bad_offset =
      test::run_migpower("import nvidia-smi " + log + " --utc-offset 2h --out /dev/null");
  EXPECT_EQ(bad_offset.exit_code, 2);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace migpower
