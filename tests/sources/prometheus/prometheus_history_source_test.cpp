#include "sources/prometheus/prometheus_history_source.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "sources/prometheus/fixture_http_server.hpp"
#include "sources/prometheus/prometheus_api.hpp"

namespace migpower {
namespace {

using Json = nlohmann::json;

constexpr std::int64_t kT0 = 1793491200;  // 2026-11-01T00:00:00Z
constexpr int kSeconds = 30;              // data at kT0 .. kT0 + 29
const std::string kUuid = "GPU-58e8f5ea-13cc-013a-d88f-2bcf5ae8bc77";

// A series of the fake store: labels, and its value at second s of the data (nullopt: none).
struct FakeSeries {
  Json metric;
  std::function<std::optional<double>(int)> value;
};

bool in_gap(int s) { return s >= 10 && s < 13; }  // the exporter was down for three scrapes

std::vector<FakeSeries> fake_store() {
  const auto labels = [](const std::string& name, int gpu_i_id, const std::string& profile,
                         const std::string& pod) {
    Json m = {{"__name__", name},
              {"gpu", "0"},
              {"UUID", kUuid},
              {"modelName", "NVIDIA H100 80GB HBM3"},
              {"GPU_I_ID", std::to_string(gpu_i_id)},
              {"GPU_I_PROFILE", profile},
              {"Hostname", "gpu-node-1"},
              {"job", "dcgm-exporter"}};
    if (!pod.empty()) {
      m["pod"] = pod;
      m["namespace"] = "llm";
      m["container"] = "server";
    }
    return m;
  };
  const auto when_up = [](std::function<double(int)> f) {
    return [f](int s) -> std::optional<double> {
      if (in_gap(s)) return std::nullopt;
      return f(s);
    };
  };
  return {
      // The card's power, repeated on both instances with slightly different copies.
      {labels("DCGM_FI_DEV_POWER_USAGE", 2, "3g.40gb", "decode-0"),
       when_up([](int s) { return 200.0 + s; })},
      {labels("DCGM_FI_DEV_POWER_USAGE", 9, "1g.10gb", ""),
       when_up([](int s) { return 200.5 + s; })},
      {labels("DCGM_FI_PROF_GR_ENGINE_ACTIVE", 2, "3g.40gb", "decode-0"),
       when_up([](int s) { return (s % 10) / 10.0; })},
      {labels("DCGM_FI_PROF_GR_ENGINE_ACTIVE", 9, "1g.10gb", ""),
       when_up([](int /*s*/) { return 0.0; })},
      // NaN values reach the API as "NaN" strings: a missing value, not a failure.
      {labels("DCGM_FI_PROF_DRAM_ACTIVE", 2, "3g.40gb", "decode-0"),
       when_up([](int s) { return s == 5 ? NAN : 0.25; })},
  };
}

struct Request {
  std::string query;
  double start = 0;
  double end = 0;
  double step = 0;
};

class FakePrometheus {
 public:
  explicit FakePrometheus(std::string prefix = "") {
    store_ = fake_store();
    http_.server().Get(
        prefix + "/api/v1/query_range",
        [this](const httplib::Request& req, httplib::Response& res) { answer(req, res); });
    http_.start();
  }

  std::string url(const std::string& path = "") const { return http_.url(path); }
  std::vector<Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::atomic<int> fail_first{0};  // answer this many requests with 503 first
  std::atomic<bool> bad_query{false};

 private:
  void answer(const httplib::Request& req, httplib::Response& res) {
    Request r{req.get_param_value("query"), std::stod(req.get_param_value("start")),
              std::stod(req.get_param_value("end")), std::stod(req.get_param_value("step"))};
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(r);
    }
    if (fail_first > 0) {
      --fail_first;
      res.status = 503;
      res.set_content("Service Unavailable", "text/plain");
      return;
    }
    if (bad_query) {
      res.status = 400;
      res.set_content(
          R"({"status":"error","errorType":"bad_data","error":"1:2: parse error: unexpected"})",
          "application/json");
      return;
    }
    const auto points = static_cast<std::int64_t>(std::llround((r.end - r.start) / r.step)) + 1;
    if (points > PrometheusApi::kMaxPointsPerSeries) {
      res.status = 400;
      res.set_content(R"({"status":"error","errorType":"bad_data","error":"exceeded maximum )"
                      R"(resolution of 11,000 points per timeseries"})",
                      "application/json");
      return;
    }
    Json result = Json::array();
    for (const FakeSeries& series : store_) {
      Json values = Json::array();
      for (std::int64_t k = 0; k < points; ++k) {
        const double t = r.start + static_cast<double>(k) * r.step;
        const double s = t - static_cast<double>(kT0);
        if (s < 0 || s >= kSeconds || s != std::floor(s)) continue;
        const auto v = series.value(static_cast<int>(s));
        if (!v) continue;
        values.push_back({t, std::isnan(*v) ? std::string("NaN") : std::to_string(*v)});
      }
      if (!values.empty()) result.push_back({{"metric", series.metric}, {"values", values}});
    }
    const Json body = {{"status", "success"},
                       {"data", {{"resultType", "matrix"}, {"result", result}}}};
    res.set_content(body.dump(), "application/json");
  }

  test::FixtureHttpServer http_;
  std::vector<FakeSeries> store_;
  std::mutex mutex_;
  std::vector<Request> requests_;
};

PrometheusHistoryOptions history_options(const std::string& url, std::size_t points) {
  PrometheusHistoryOptions o;
  o.url = url;
  o.from_s = static_cast<double>(kT0);
  o.to_s = static_cast<double>(kT0 + kSeconds - 1);
  o.step_s = 1.0;
  o.points_per_request = points;
  o.http.read_timeout_s = 2.0;
  o.http.backoff_initial_s = 0.01;
  return o;
}

std::vector<Frame> drain(FrameSource& source) {
  std::vector<Frame> frames;
  Frame frame;
  while (source.next(frame)) frames.push_back(frame);
  return frames;
}

TEST(PrometheusHistorySource, PagesByWindowsAndMapsEachStepLikeAScrape) {
  FakePrometheus prometheus;
  PrometheusHistorySource source(history_options(prometheus.url(), 7));
  const auto frames = drain(source);
  EXPECT_EQ(source.windows_total(), 5U);  // 30 steps, 7 per request
  EXPECT_EQ(source.windows_done(), 5U);
  ASSERT_EQ(frames.size(), 27U);  // three steps fell in the exporter's gap

  // The requests tile the range: contiguous, no overlap, at most 7 points each.
  const auto requests = prometheus.requests();
  ASSERT_EQ(requests.size(), 5U);
  double next = static_cast<double>(kT0);
  for (const Request& r : requests) {
    EXPECT_EQ(r.start, next);
    EXPECT_LE(std::llround(r.end - r.start) + 1, 7);
    EXPECT_EQ(r.step, 1.0);
    EXPECT_EQ(r.query, source.query());
    next = r.end + 1.0;
  }
  EXPECT_EQ(next, static_cast<double>(kT0 + kSeconds));

  int s_expected = 0;
  for (const Frame& frame : frames) {
    while (in_gap(s_expected)) ++s_expected;
    const int s = s_expected++;
    EXPECT_EQ(frame.timestamp_s, static_cast<double>(kT0 + s));
    EXPECT_EQ(frame.gpu_uuid, kUuid);
    EXPECT_EQ(frame.gpu_model, "NVIDIA H100 80GB HBM3");
    EXPECT_EQ(frame.power_w, 200.0 + s);  // the lower copy, never 400-odd
    ASSERT_EQ(frame.instances.size(), 2U);
    EXPECT_EQ(frame.instances[0].gpu_i_id, 2);
    EXPECT_EQ(frame.instances[0].profile, "3g.40gb");
    EXPECT_EQ(frame.instances[0].compute_slices, 3);
    EXPECT_EQ(frame.instances[0].workload, "llm/decode-0/server");
    EXPECT_NEAR(*frame.instances[0].get(Activity::gr_engine), (s % 10) / 10.0, 1e-12);
    EXPECT_EQ(frame.instances[0].get(Activity::dram).has_value(), s != 5) << s;
    EXPECT_EQ(frame.instances[1].gpu_i_id, 9);
    EXPECT_EQ(frame.instances[1].workload, "");
  }
  EXPECT_EQ(source.dropped_values(), 1U);  // the NaN
}

TEST(PrometheusHistorySource, WindowSizeDoesNotChangeTheFrames) {
  FakePrometheus prometheus;
  PrometheusHistorySource small(history_options(prometheus.url(), 1));
  PrometheusHistorySource large(history_options(prometheus.url(), 11000));
  const auto a = drain(small);
  const auto b = drain(large);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].timestamp_s, b[i].timestamp_s);
    EXPECT_EQ(a[i].power_w, b[i].power_w);
    ASSERT_EQ(a[i].instances.size(), b[i].instances.size());
    for (std::size_t j = 0; j < a[i].instances.size(); ++j) {
      EXPECT_EQ(a[i].instances[j].activity, b[i].instances[j].activity);
    }
  }
  EXPECT_EQ(small.windows_total(), 30U);
  EXPECT_EQ(large.windows_total(), 1U);
}

TEST(PrometheusHistorySource, CoarserStepAndPathPrefix) {
  FakePrometheus prometheus("/prometheus");
  auto o = history_options(prometheus.url("/prometheus/"), 100);
  o.step_s = 5.0;
  PrometheusHistorySource source(o);
  const auto frames = drain(source);
  // Steps at 0, 5, 10 (gap), 15, 20, 25.
  ASSERT_EQ(frames.size(), 5U);
  EXPECT_EQ(frames[2].timestamp_s, static_cast<double>(kT0 + 15));
  EXPECT_EQ(frames[2].power_w, 215.0);
}

TEST(PrometheusHistorySource, GpuFilterGoesIntoTheQueryAndTheFrames) {
  FakePrometheus prometheus;
  auto o = history_options(prometheus.url(), 100);
  o.gpus = {"GPU-other"};
  PrometheusHistorySource source(o);
  EXPECT_NE(source.query().find("UUID=~\"GPU-other\""), std::string::npos) << source.query();
  EXPECT_NE(source.query().find("uuid=~\"GPU-other\""), std::string::npos) << source.query();
  EXPECT_NE(source.query().find("DCGM_FI_PROF_GR_ENGINE_ACTIVE"), std::string::npos);
  EXPECT_TRUE(drain(source).empty());  // the fake ignores the filter; the source does not

  o.gpus = {kUuid};
  PrometheusHistorySource mine(o);
  EXPECT_EQ(drain(mine).size(), 27U);
}

TEST(PrometheusHistorySource, UnavailableServerIsRetriedThenSucceeds) {
  FakePrometheus prometheus;
  prometheus.fail_first = 2;
  PrometheusHistorySource source(history_options(prometheus.url(), 11000));
  EXPECT_EQ(drain(source).size(), 27U);
  EXPECT_EQ(prometheus.requests().size(), 3U);
}

TEST(PrometheusHistorySource, PrometheusErrorTextReachesTheUser) {
  FakePrometheus prometheus;
  prometheus.bad_query = true;
  PrometheusHistorySource source(history_options(prometheus.url(), 11000));
  Frame frame;
  try {
    source.next(frame);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("HTTP 400: bad_data: 1:2: parse error: unexpected"),
              std::string::npos)
        << e.what();
  }
}

TEST(PrometheusHistorySource, BadOptionsAreInputErrors) {
  auto o = history_options("http://127.0.0.1:1", 100);
  o.to_s = o.from_s - 1;
  EXPECT_THROW(PrometheusHistorySource{o}, InputError);
  o = history_options("http://127.0.0.1:1", 0);
  EXPECT_THROW(PrometheusHistorySource{o}, InputError);
  o = history_options("http://127.0.0.1:1", 11001);
  EXPECT_THROW(PrometheusHistorySource{o}, InputError);
  o = history_options("http://127.0.0.1:1", 100);
  o.step_s = 0.0;
  EXPECT_THROW(PrometheusHistorySource{o}, InputError);
}

}  // namespace
}  // namespace migpower
