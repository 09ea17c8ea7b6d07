#include "sources/prometheus/dcgm_exporter_source.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "sources/prometheus/fixture_http_server.hpp"
#include "sources/prometheus/http_fetch.hpp"

namespace migpower {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(MIGPOWER_SOURCE_DIR) / "tests/sources/prometheus/fixtures/dcgm-exporter";
constexpr double kEpoch = 1763000000.0;

// Time that moves only when slept on (or pushed by a handler), so pacing is exact. Atomic: the
// HTTP server's thread may push it.
class FakeClock : public LiveClock {
 public:
  double now_s() override { return now_; }
  bool sleep_until(double t, const std::atomic<bool>* stop) override {
    if (stop != nullptr && stop->load()) return false;
    const double now = now_;
    if (t > now) {
      sleeps.push_back(t - now);
      now_ = t;
    }
    return true;
  }
  void advance(double seconds) { now_ = now_ + seconds; }

  std::vector<double> sleeps;  // the positive waits, in order

 private:
  std::atomic<double> now_{kEpoch};
};

class DcgmExporterSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& s = http_.server();
    for (const char* name : {"a100-mig-k8s", "h100-mig-k8s", "full-gpu"}) {
      const std::string body = test::read_text_file(kFixtures / (std::string(name) + ".txt"));
      s.Get("/" + std::string(name), [body](const httplib::Request&, httplib::Response& res) {
        res.set_content(body, "text/plain; version=0.0.4");
      });
    }
    // Power rises by one watt per scrape; the first scrape can be made slow (on the fake clock).
    s.Get("/changing", [this](const httplib::Request&, httplib::Response& res) {
      const int n = ++changing_hits_;
      if (n == 1) clock_.advance(slow_first_scrape_s_);
      res.set_content(
          "DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-c\",GPU_I_PROFILE=\"7g.40gb\","
          "GPU_I_ID=\"0\"} " +
              std::to_string(100 + n) + "\n",
          "text/plain");
    });
    s.Get("/flaky", [this](const httplib::Request&, httplib::Response& res) {
      if (++flaky_hits_ <= 2) {
        res.status = 503;
        res.set_content("exporter warming up", "text/plain");
        return;
      }
      res.set_content("DCGM_FI_DEV_POWER_USAGE{UUID=\"GPU-f\"} 42\n", "text/plain");
    });
    s.Get("/broken", [this](const httplib::Request&, httplib::Response& res) {
      ++broken_hits_;
      res.status = 500;
      res.set_content("internal error: DCGM not initialized\nmore detail", "text/plain");
    });
    s.Get("/broken-then-stop", [this](const httplib::Request&, httplib::Response& res) {
      stop_ = true;  // as SIGINT would, while the source is about to back off
      res.status = 502;
    });
    s.Get("/garbage", [this](const httplib::Request&, httplib::Response& res) {
      ++garbage_hits_;
      res.set_content(test::read_text_file(kFixtures / "malformed/html-error-page.txt"),
                      "text/html");
    });
    s.Get("/missing", [this](const httplib::Request&, httplib::Response& res) {
      ++missing_hits_;
      res.status = 404;
      res.set_content("404 page not found", "text/plain");
    });
    s.Get("/hang", [this](const httplib::Request&, httplib::Response& res) {
      ++hang_hits_;
      http_.wait_released();
      res.set_content("too late", "text/plain");
    });
    s.Get("/trickle", [this](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [this](std::size_t, httplib::DataSink& sink) {
        http_.wait_released(std::chrono::milliseconds(60));
        return sink.write("# slow\n", 7);
      });
    });
    http_.start();
  }

  DcgmExporterSourceOptions options(std::vector<std::string> paths) {
    DcgmExporterSourceOptions o;
    for (const auto& path : paths) o.urls.push_back(http_.url(path));
    o.duration_s = 1.0;  // one round
    o.clock = &clock_;
    o.http.connect_timeout_s = 1.0;
    o.http.read_timeout_s = 0.3;
    o.http.total_timeout_s = 2.0;
    o.http.attempts = 3;
    o.http.backoff_initial_s = 0.25;
    o.http.backoff_factor = 2.0;
    o.http.backoff_max_s = 2.0;
    return o;
  }

  std::vector<Frame> drain(DcgmExporterSource& source) {
    std::vector<Frame> frames;
    Frame frame;
    while (source.next(frame)) frames.push_back(frame);
    return frames;
  }

  // The InputError a source's first next() throws.
  std::string first_error(DcgmExporterSourceOptions o) {
    DcgmExporterSource source(std::move(o));
    Frame frame;
    try {
      source.next(frame);
    } catch (const InputError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
  }

  FakeClock clock_;
  test::FixtureHttpServer http_;
  double slow_first_scrape_s_ = 0.0;
  std::atomic<int> changing_hits_{0};
  std::atomic<int> flaky_hits_{0};
  std::atomic<int> broken_hits_{0};
  std::atomic<int> garbage_hits_{0};
  std::atomic<int> missing_hits_{0};
  std::atomic<int> hang_hits_{0};
  std::atomic<bool> stop_{false};
};

TEST_F(DcgmExporterSourceTest, ScrapesFixturesIntoFramesOfOneInstant) {
  DcgmExporterSource source(options({"/a100-mig-k8s", "/h100-mig-k8s", "/full-gpu"}));
  const auto frames = drain(source);
  ASSERT_EQ(frames.size(), 4U);  // two A100 cards, one H100, one full GPU
  EXPECT_EQ(frames[0].gpu_uuid, "GPU-a810a1fc-9f46-0e6f-5cef-bf34c2248e12");
  EXPECT_EQ(frames[2].gpu_uuid, "GPU-58e8f5ea-13cc-013a-d88f-2bcf5ae8bc77");
  EXPECT_EQ(frames[3].gpu_uuid, "GPU-c2f76b33-7953-256e-8f33-1343419b1a1c");
  for (const Frame& frame : frames) EXPECT_EQ(frame.timestamp_s, kEpoch);
  EXPECT_EQ(frames[0].power_w, 61.012);
  EXPECT_EQ(frames[0].instances.size(), 4U);
  EXPECT_EQ(frames[2].instances.size(), 4U);
  EXPECT_EQ(source.rounds(), 1U);
  ASSERT_EQ(source.cards().size(), 4U);
  EXPECT_EQ(source.cards()[2].hostname, "gsrh100-074");
  EXPECT_TRUE(clock_.sleeps.empty());  // the first round starts at once
}

TEST_F(DcgmExporterSourceTest, RoundsArePacedByTheIntervalAndSeeNewValues) {
  auto o = options({"/changing"});
  o.interval_s = 1.0;
  o.duration_s = 3.0;
  DcgmExporterSource source(std::move(o));
  const auto frames = drain(source);
  ASSERT_EQ(frames.size(), 3U);
  EXPECT_EQ(clock_.sleeps, (std::vector<double>{1.0, 1.0}));
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].timestamp_s, kEpoch + static_cast<double>(i));
    EXPECT_EQ(frames[i].power_w, 101.0 + static_cast<double>(i));
  }
}

TEST_F(DcgmExporterSourceTest, AnOverrunRoundSkipsMissedTicksInsteadOfBursting) {
  slow_first_scrape_s_ = 2.5;  // the first scrape takes 2.5 intervals
  auto o = options({"/changing"});
  o.interval_s = 1.0;
  o.duration_s = 3.5;
  DcgmExporterSource source(std::move(o));
  const auto frames = drain(source);
  ASSERT_EQ(frames.size(), 3U);
  // Round 2 starts late at 2.5 (no sleep); round 3 waits for the grid's next tick, 3.0.
  EXPECT_EQ(clock_.sleeps, (std::vector<double>{0.5}));
  EXPECT_EQ(frames[0].timestamp_s, kEpoch);
  EXPECT_EQ(frames[1].timestamp_s, kEpoch + 2.5);
  EXPECT_EQ(frames[2].timestamp_s, kEpoch + 3.0);
}

TEST_F(DcgmExporterSourceTest, ServerErrorsAreRetriedWithExponentialBackOff) {
  DcgmExporterSource source(options({"/flaky"}));
  const auto frames = drain(source);
  ASSERT_EQ(frames.size(), 1U);
  EXPECT_EQ(frames[0].power_w, 42.0);
  EXPECT_EQ(flaky_hits_, 3);
  EXPECT_EQ(clock_.sleeps, (std::vector<double>{0.25, 0.5}));
}

TEST_F(DcgmExporterSourceTest, GivesUpAfterTheLastRetryWithAClearMessage) {
  const std::string error = first_error(options({"/broken"}));
  EXPECT_EQ(broken_hits_, 3);
  EXPECT_NE(error.find(http_.url("/broken")), std::string::npos) << error;
  EXPECT_NE(error.find("HTTP 500"), std::string::npos) << error;
  EXPECT_NE(error.find("internal error: DCGM not initialized"), std::string::npos) << error;
  EXPECT_EQ(error.find("more detail"), std::string::npos) << error;  // first line only
  EXPECT_NE(error.find("gave up after 3 attempts"), std::string::npos) << error;
  EXPECT_EQ(clock_.sleeps, (std::vector<double>{0.25, 0.5}));
}

TEST_F(DcgmExporterSourceTest, AHangingEndpointTimesOutInBoundedTime) {
  auto o = options({"/hang"});
  o.http.attempts = 2;
  const auto started = std::chrono::steady_clock::now();
  const std::string error = first_error(std::move(o));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(hang_hits_, 2);
  EXPECT_LT(seconds, 3.0);  // two attempts of a 0.3 s read timeout, not the server's 20 s
  EXPECT_NE(error.find("no complete answer"), std::string::npos) << error;
  EXPECT_NE(error.find("gave up after 2 attempts"), std::string::npos) << error;
}

TEST_F(DcgmExporterSourceTest, ATricklingBodyIsCutAtTheTotalTimeout) {
  auto o = options({"/trickle"});
  o.http.attempts = 1;
  o.http.total_timeout_s = 0.3;
  const auto started = std::chrono::steady_clock::now();
  const std::string error = first_error(std::move(o));
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), 3.0);
  EXPECT_NE(error.find("answer not complete within 0.3 s"), std::string::npos) << error;
}

TEST_F(DcgmExporterSourceTest, GarbageIsAParseErrorNamingTheUrlAndIsNotRetried) {
  DcgmExporterSource source(options({"/garbage"}));
  Frame frame;
  try {
    source.next(frame);
    FAIL() << "no error";
  } catch (const LocatedError& e) {
    EXPECT_EQ(e.file(), http_.url("/garbage"));
    EXPECT_EQ(e.line(), 1U);
    EXPECT_EQ(e.column(), "1");
  }
  EXPECT_EQ(garbage_hits_, 1);
}

TEST_F(DcgmExporterSourceTest, NotFoundIsNotRetried) {
  const std::string error = first_error(options({"/missing"}));
  EXPECT_EQ(missing_hits_, 1);
  EXPECT_NE(error.find("HTTP 404"), std::string::npos) << error;
  EXPECT_NE(error.find("404 page not found"), std::string::npos) << error;
  EXPECT_TRUE(clock_.sleeps.empty());
}

TEST_F(DcgmExporterSourceTest, RefusedConnectionIsReported) {
  std::string url;
  {
    test::FixtureHttpServer closed;
    closed.start();
    url = closed.url("/metrics");
  }  // nothing listens there any more
  DcgmExporterSourceOptions o = options({});
  o.urls = {url};
  o.http.attempts = 2;
  const std::string error = first_error(std::move(o));
  EXPECT_NE(error.find("cannot connect"), std::string::npos) << error;
  EXPECT_NE(error.find(url), std::string::npos) << error;
}

TEST_F(DcgmExporterSourceTest, OversizedAnswerIsRefused) {
  auto o = options({"/a100-mig-k8s"});
  o.http.max_body_bytes = 1000;
  const std::string error = first_error(std::move(o));
  EXPECT_NE(error.find("answer larger than 1000 bytes"), std::string::npos) << error;
}

TEST_F(DcgmExporterSourceTest, BadOptionsAreInputErrors) {
  EXPECT_THROW(DcgmExporterSource(DcgmExporterSourceOptions{}), InputError);
  auto o = options({"/full-gpu"});
  o.interval_s = 0.0;
  EXPECT_THROW(DcgmExporterSource(std::move(o)), InputError);
  auto ftp = options({});
  ftp.urls = {"ftp://node/metrics"};
  EXPECT_THROW(DcgmExporterSource(std::move(ftp)), InputError);
}

TEST_F(DcgmExporterSourceTest, StopEndsTheSourceQuietlyEvenDuringABackOff) {
  auto o = options({"/broken-then-stop"});
  o.duration_s.reset();
  o.stop = &stop_;
  DcgmExporterSource source(std::move(o));
  Frame frame;
  EXPECT_FALSE(source.next(frame));
  EXPECT_FALSE(source.next(frame));
}

TEST_F(DcgmExporterSourceTest, ProbeReportsCardsLayoutAndFields) {
  const SourceReport report = probe_dcgm_exporter(options({"/a100-mig-k8s", "/full-gpu"}));
  EXPECT_EQ(report.source, "dcgm-exporter");
  ASSERT_TRUE(report.available) << report.detail;
  ASSERT_EQ(report.cards.size(), 3U);
  EXPECT_EQ(report.cards[0].mig, "on");
  EXPECT_EQ(report.cards[0].model, "NVIDIA A100-SXM4-40GB");
  ASSERT_EQ(report.cards[0].instances.size(), 4U);
  EXPECT_EQ(report.cards[0].instances[0].profile, "3g.20gb");
  EXPECT_EQ(report.cards[0].instances[0].compute_slices, 3);
  EXPECT_EQ(report.cards[2].mig, "off");
  EXPECT_TRUE(report.cards[2].instances.empty());
  const auto provided = [&](const CardReport& card, const std::string& field) {
    for (const auto& f : card.fields) {
      if (f.field == field) return f.provided;
    }
    ADD_FAILURE() << "no row for " << field;
    return false;
  };
  EXPECT_TRUE(provided(report.cards[0], "DCGM_FI_DEV_POWER_USAGE"));
  EXPECT_TRUE(provided(report.cards[0], "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"));
  EXPECT_FALSE(provided(report.cards[0], "DCGM_FI_PROF_SM_OCCUPANCY"));
  EXPECT_FALSE(provided(report.cards[2], "DCGM_FI_DEV_POWER_MGMT_LIMIT"));

  const SourceReport missing = probe_dcgm_exporter(options({"/missing"}));
  EXPECT_FALSE(missing.available);
  EXPECT_NE(missing.detail.find("HTTP 404"), std::string::npos) << missing.detail;
}

TEST(SplitUrl, CutsOriginAndTarget) {
  const SplitUrl plain = split_url("node-7:9400/metrics");
  EXPECT_EQ(plain.origin, "http://node-7:9400");
  EXPECT_EQ(plain.target, "/metrics");
  const SplitUrl query = split_url("https://prom.example.org?x=1");
  EXPECT_EQ(query.origin, "https://prom.example.org");
  EXPECT_EQ(query.target, "/?x=1");
  EXPECT_EQ(split_url("http://[::1]:9400").target, "/");
  EXPECT_EQ(split_url("http://[::1]:9400").origin, "http://[::1]:9400");
  EXPECT_THROW((void)split_url("http:///metrics"), InputError);
  EXPECT_THROW((void)split_url("file:///etc/passwd"), InputError);
}

}  // namespace
}  // namespace migpower
