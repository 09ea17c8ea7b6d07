#include "sources/dcgm/dcgm_source.hpp"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "sources/dcgm/dcgm_api.hpp"
#include "sources/live_clock.hpp"
#include "sources/take_frames.hpp"
#include "trace/trace_reader.hpp"
#include "trace/trace_writer.hpp"

namespace migpower {
namespace {

using json = nlohmann::json;

constexpr const char* kFakeLibrary = MIGPOWER_FAKE_DCGM;
constexpr double kStart = 1767225600.0;

// The fake's test hooks, reached through the same loaded copy that DcgmSource opens.
class FakeDcgm {
 public:
  FakeDcgm() : handle_(::dlopen(kFakeLibrary, RTLD_NOW | RTLD_LOCAL)) {
    if (handle_ == nullptr) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
    call<void (*)()>("fakeDcgmResetCalls")();
  }
  ~FakeDcgm() { ::dlclose(handle_); }
  FakeDcgm(const FakeDcgm&) = delete;
  FakeDcgm& operator=(const FakeDcgm&) = delete;

  void advance() const { call<void (*)()>("fakeDcgmAdvance")(); }
  [[nodiscard]] int calls(const char* name) const {
    return call<int (*)(const char*)>("fakeDcgmCalls")(name);
  }
  [[nodiscard]] int live_objects() const { return call<int (*)()>("fakeDcgmLiveObjects")(); }
  [[nodiscard]] long long last_watch_us() const {
    return call<long long (*)()>("fakeDcgmLastWatchUs")();
  }
  [[nodiscard]] std::string last_address() const {
    return call<const char* (*)()>("fakeDcgmLastAddress")();
  }

 private:
  template <typename Function>
  Function call(const char* name) const {
    void* symbol = ::dlsym(handle_, name);
    if (symbol == nullptr) throw std::runtime_error(std::string("no symbol ") + name);
    Function f = nullptr;
    std::memcpy(&f, &symbol, sizeof(f));
    return f;
  }
  void* handle_;
};

// Writes a scenario for the fake and points it there for the test's lifetime.
class Scenario {
 public:
  explicit Scenario(const json& scenario) : path_(unique_path()) {
    std::ofstream(path_) << scenario.dump(2);
    ::setenv("MIGPOWER_FAKE_DCGM_SCENARIO", path_.c_str(), 1);
  }
  ~Scenario() {
    ::unsetenv("MIGPOWER_FAKE_DCGM_SCENARIO");
    std::remove(path_.c_str());
  }
  Scenario(const Scenario&) = delete;
  Scenario& operator=(const Scenario&) = delete;

 private:
  static std::string unique_path() {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');  // parameterized tests' names hold '/'
    return ::testing::TempDir() + "fake_dcgm_" + std::to_string(::getpid()) + "_" + name + ".json";
  }

  std::string path_;
};

// An A100 split 3g.20gb (GPU instance 2) + 4g.20gb (GPU instance 1), listed out of id order,
// and an H100 without MIG.
json two_cards() {
  return {{"gpus",
           {{{"uuid", "GPU-aaaa"},
             {"name", "NVIDIA A100-SXM4-40GB"},
             {"values",
              {{"155", {210.5, 250.25, 180.0}},
               {"156", {1000000, 1250000, 1430000}},
               {"100", 1410},
               {"101", 1215},
               {"150", 41},
               {"160", 400.0}}},
             {"instances",
              {{{"gi_id", 2},
                {"profile", "3g.20gb"},
                {"profile_id", 2},
                {"slices", 3},
                {"compute_instances", {0}},
                {"values",
                 {{"1001", {0.5, 0.75, 0.0}},
                  {"1002", 0.4},
                  {"1003", 0.3},
                  {"1004", 0.2},
                  {"1005", 0.1},
                  {"1006", 0.0},
                  {"1007", 0.35},
                  {"1008", 0.05},
                  {"252", 10240}}}},
               {{"gi_id", 1},
                {"profile", "4g.20gb"},
                {"profile_id", 3},
                {"slices", 4},
                {"compute_instances", {0, 1}},
                {"values", {{"1001", 0.25}, {"252", 512}}}}}}},
            {{"uuid", "GPU-bbbb"},
             {"name", "NVIDIA H100 80GB HBM3"},
             {"mig", false},
             {"values", {{"155", 95.0}, {"1001", 0.9}, {"1004", 0.6}, {"252", 2048}}}}}}};
}

// Options for the fake library on a manual clock; each tick after the first advances the fake
// one step, as DCGM's update cycle would between two reads.
struct Harness {
  FakeDcgm fake;
  ManualClock clock{kStart};
  std::vector<std::string> events;
  double last_tick = kStart;

  DcgmSourceOptions options(double interval_s = 1.0) {
    DcgmSourceOptions o;
    o.library_path = kFakeLibrary;
    o.interval_s = interval_s;
    o.clock = &clock;
    o.on_event = [this](const std::string& message) { events.push_back(message); };
    clock.on_sleep = [this](double t) {
      if (t > last_tick) {
        last_tick = t;
        fake.advance();
      }
    };
    return o;
  }

  [[nodiscard]] bool saw_event(const std::string& part) const {
    for (const std::string& e : events) {
      if (e.find(part) != std::string::npos) return true;
    }
    return false;
  }
};

using test::take;

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

TEST(DcgmApi, StructVersionsMatchThePublicHeaderLayout) {
  // MAKE_DCGM_VERSION(dcgmMigHierarchy_v2, 2) and MAKE_DCGM_VERSION(dcgmFieldValue_v2, 2) on
  // 64-bit Linux: 8 + 448 * 164 and 32 + 4096 bytes.
  EXPECT_EQ(dcgm::kMigHierarchyVersion, 73480U | (2U << 24U));
  EXPECT_EQ(dcgm::kFieldValueVersion, 4128U | (2U << 24U));
}

TEST(DcgmApi, BlankSentinelsAreRecognisedAndExplained) {
  EXPECT_TRUE(dcgm::is_blank(dcgm::kFp64Blank));
  EXPECT_TRUE(dcgm::is_blank(dcgm::kFp64Blank + 2.0));
  EXPECT_FALSE(dcgm::is_blank(1e12));
  EXPECT_TRUE(dcgm::is_blank(dcgm::kInt64Blank + 3));
  EXPECT_FALSE(dcgm::is_blank(std::int64_t{0x7ffffff0}));  // the 32-bit blank is a real int64
  EXPECT_TRUE(dcgm::is_blank(std::string_view("<<<NOT_SUPPORTED>>>")));
  EXPECT_FALSE(dcgm::is_blank(std::string_view("3g.20gb")));
  EXPECT_EQ(dcgm::describe_blank(dcgm::kInt64Blank + 2), "not supported by this GPU or driver");
  EXPECT_EQ(dcgm::describe_blank(dcgm::kFp64Blank + 3.0), "no permission to read it");
  EXPECT_EQ(dcgm::describe_blank(dcgm::kFp64Blank), "no value (blank)");
}

TEST(DcgmApi, DefaultLibraryIsTheDcgm4SonameUnlessOverridden) {
  ::unsetenv("MIGPOWER_DCGM_LIBRARY");
  EXPECT_EQ(dcgm::default_library_path(), "libdcgm.so.4");
  ::setenv("MIGPOWER_DCGM_LIBRARY", "/opt/dcgm/libdcgm.so.4", 1);
  EXPECT_EQ(dcgm::default_library_path(), "/opt/dcgm/libdcgm.so.4");
  ::unsetenv("MIGPOWER_DCGM_LIBRARY");
}

TEST(DcgmSource, DiscoversCardsAndTheMigHierarchy) {
  Scenario scenario(two_cards());
  Harness h;
  DcgmSource source(h.options());
  EXPECT_EQ(source.card_count(), 2U);
  EXPECT_EQ(h.fake.calls("dcgmStartEmbedded"), 1);  // embedded: no host engine address given

  const std::vector<Frame> frames = take(source, 2);
  ASSERT_EQ(frames.size(), 2U);
  const Frame& a100 = frames[0];
  EXPECT_EQ(a100.gpu_uuid, "GPU-aaaa");
  EXPECT_EQ(a100.gpu_model, "NVIDIA A100-SXM4-40GB");
  ASSERT_EQ(a100.instances.size(), 2U);
  EXPECT_EQ(a100.instances[0].gpu_i_id, 1);  // sorted by GPU instance id
  EXPECT_EQ(a100.instances[0].profile, "4g.20gb");
  EXPECT_EQ(a100.instances[0].compute_slices, 4);
  EXPECT_EQ(a100.instances[0].memory_slices, 4);
  EXPECT_EQ(a100.instances[1].gpu_i_id, 2);
  EXPECT_EQ(a100.instances[1].profile, "3g.20gb");
  EXPECT_EQ(a100.instances[1].compute_slices, 3);

  const Frame& h100 = frames[1];  // no MIG: the card is its one instance
  EXPECT_EQ(h100.gpu_uuid, "GPU-bbbb");
  ASSERT_EQ(h100.instances.size(), 1U);
  EXPECT_EQ(h100.instances[0].gpu_i_id, 0);
  EXPECT_EQ(h100.instances[0].profile, "");

  const SourceReport report = source.report();
  EXPECT_TRUE(report.available);
  EXPECT_EQ(report.source, "dcgm");
  ASSERT_EQ(report.cards.size(), 2U);
  EXPECT_EQ(report.cards[0].mig, "on");
  ASSERT_EQ(report.cards[0].instances.size(), 2U);
  EXPECT_EQ(report.cards[0].instances[0].compute_instance_ids, (std::vector<int>{0, 1}));
  EXPECT_EQ(report.cards[0].instances[1].compute_instance_ids, (std::vector<int>{0}));
  EXPECT_EQ(report.cards[1].mig, "off");
  EXPECT_TRUE(report.cards[1].instances.empty());
}

TEST(DcgmSource, MapsEachFieldToItsFrameSlot) {
  Scenario scenario(two_cards());
  Harness h;
  DcgmSource source(h.options());
  const std::vector<Frame> frames = take(source, 2);
  ASSERT_EQ(frames.size(), 2U);
  const Frame& a100 = frames[0];
  EXPECT_EQ(a100.timestamp_s, kStart);
  EXPECT_EQ(a100.timestamp_text, "1767225600.000");
  EXPECT_EQ(a100.power_w, 210.5);
  EXPECT_EQ(a100.energy_mj, 1000000.0);
  EXPECT_EQ(a100.sm_clock_mhz, 1410.0);
  EXPECT_EQ(a100.mem_clock_mhz, 1215.0);
  EXPECT_EQ(a100.temperature_c, 41.0);
  EXPECT_EQ(a100.power_limit_w, 400.0);
  const InstanceSample& three_g = a100.instances[1];
  EXPECT_EQ(three_g.get(Activity::gr_engine), 0.5);
  EXPECT_EQ(three_g.get(Activity::sm), 0.4);
  EXPECT_EQ(three_g.get(Activity::sm_occupancy), 0.3);
  EXPECT_EQ(three_g.get(Activity::tensor), 0.2);
  EXPECT_EQ(three_g.get(Activity::dram), 0.1);
  EXPECT_EQ(three_g.get(Activity::fp64), 0.0);  // a real 0 stays 0
  EXPECT_EQ(three_g.get(Activity::fp32), 0.35);
  EXPECT_EQ(three_g.get(Activity::fp16), 0.05);
  EXPECT_EQ(three_g.fb_used_mib, 10240.0);
  EXPECT_EQ(a100.instances[0].get(Activity::gr_engine), 0.25);
  EXPECT_EQ(a100.instances[0].fb_used_mib, 512.0);
  // Watched on the GPU entity when MIG is off.
  EXPECT_EQ(frames[1].instances[0].get(Activity::gr_engine), 0.9);
  EXPECT_EQ(frames[1].instances[0].get(Activity::tensor), 0.6);
  EXPECT_EQ(frames[1].instances[0].fb_used_mib, 2048.0);
}

TEST(DcgmSource, EachTickReadsTheLatestValuesAtTheInterval) {
  Scenario scenario(two_cards());
  Harness h;
  DcgmSource source(h.options(0.5));
  EXPECT_EQ(h.fake.last_watch_us(), 500000);  // the watch samples at the recording interval
  const std::vector<Frame> frames = take(source, 6);
  ASSERT_EQ(frames.size(), 6U);
  const std::vector<double> powers = {210.5, 250.25, 180.0};
  const std::vector<double> energies = {1000000, 1250000, 1430000};
  for (std::size_t tick = 0; tick < 3; ++tick) {
    const Frame& a100 = frames[2 * tick];
    const Frame& h100 = frames[2 * tick + 1];
    EXPECT_EQ(a100.timestamp_s, kStart + 0.5 * static_cast<double>(tick));
    EXPECT_EQ(h100.timestamp_text, a100.timestamp_text);  // one instant per tick
    EXPECT_EQ(a100.power_w, powers[tick]);
    EXPECT_EQ(a100.energy_mj, energies[tick]);
  }
  EXPECT_EQ(frames[2].instances[1].get(Activity::gr_engine), 0.75);
  EXPECT_EQ(frames[4].instances[1].get(Activity::gr_engine), 0.0);
}

TEST(DcgmSource, BlankValuesAndBadStatusesAreMissingNotZero) {
  json s = two_cards();
  auto& card = s["gpus"][0]["values"];
  card["155"] = "blank";
  card["156"] = "not_supported";
  card["100"] = {{"status", -14}};
  card["150"] = "no_permission";
  card.erase("160");  // a field DCGM does not have at all
  s["gpus"][0]["instances"][0]["values"]["1004"] = "not_found";
  s["gpus"][0]["instances"][0]["values"]["1005"] = -0.5;       // impossible
  s["gpus"][0]["instances"][0]["values"]["1001"] = 1.0000004;  // DCGM rounding above 1
  Scenario scenario(s);
  Harness h;
  DcgmSource source(h.options());
  const std::vector<Frame> frames = take(source, 1);
  ASSERT_EQ(frames.size(), 1U);
  const Frame& f = frames[0];
  EXPECT_FALSE(f.power_w.has_value());
  EXPECT_FALSE(f.energy_mj.has_value());
  EXPECT_FALSE(f.sm_clock_mhz.has_value());
  EXPECT_FALSE(f.temperature_c.has_value());
  EXPECT_FALSE(f.power_limit_w.has_value());
  EXPECT_EQ(f.mem_clock_mhz, 1215.0);  // the rest of the card is still read
  EXPECT_FALSE(f.instances[1].get(Activity::tensor).has_value());
  EXPECT_FALSE(f.instances[1].get(Activity::dram).has_value());
  EXPECT_EQ(f.instances[1].get(Activity::gr_engine), 1.0);
  EXPECT_EQ(f.instances[1].get(Activity::sm), 0.4);

  // `sources` says why each field is missing.
  const SourceReport report = source.report();
  const auto detail = [&](std::string_view field) {
    for (const FieldProvision& p : report.cards[0].fields) {
      if (p.field == field) return (p.provided ? "provided: " : "missing: ") + p.detail;
    }
    return std::string("absent");
  };
  EXPECT_EQ(detail("DCGM_FI_DEV_POWER_USAGE"), "missing: no value (blank)");
  EXPECT_EQ(detail("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"),
            "missing: not supported by this GPU or driver");
  EXPECT_EQ(detail("DCGM_FI_DEV_SM_CLOCK"), "missing: no data yet (DCGM status -14)");
  EXPECT_EQ(detail("DCGM_FI_DEV_GPU_TEMP"), "missing: no permission to read it");
  EXPECT_EQ(detail("DCGM_FI_DEV_MEM_CLOCK"), "provided: DCGM field 101 on the GPU, watched");
  EXPECT_EQ(detail("DCGM_FI_PROF_SM_ACTIVE"),
            "provided: DCGM field 1002 per GPU instance, watched");
}

TEST(DcgmSource, FramesReadBackFromATraceUnchanged) {
  Scenario scenario(two_cards());
  Harness h;
  DcgmSource source(h.options());
  const std::vector<Frame> frames = take(source, 6);
  const std::string path = ::testing::TempDir() + "dcgm_round_trip.csv";
  {
    std::ofstream out(path);
    TraceWriter writer(out);
    for (const Frame& f : frames) writer.write(f);
  }
  TraceReader reader(path);
  Frame back;
  for (const Frame& f : frames) {
    ASSERT_TRUE(reader.next(back));
    EXPECT_EQ(back.gpu_uuid, f.gpu_uuid);
    EXPECT_EQ(back.timestamp_s, f.timestamp_s);
    EXPECT_EQ(back.power_w, f.power_w);
    EXPECT_EQ(back.energy_mj, f.energy_mj);
    ASSERT_EQ(back.instances.size(), f.instances.size());
    for (std::size_t i = 0; i < f.instances.size(); ++i) {
      EXPECT_EQ(back.instances[i].gpu_i_id, f.instances[i].gpu_i_id);
      EXPECT_EQ(back.instances[i].profile, f.instances[i].profile);
      EXPECT_EQ(back.instances[i].compute_slices, f.instances[i].compute_slices);
      EXPECT_EQ(back.instances[i].activity, f.instances[i].activity);
      EXPECT_EQ(back.instances[i].fb_used_mib, f.instances[i].fb_used_mib);
    }
  }
  EXPECT_FALSE(reader.next(back));
  std::remove(path.c_str());
}

TEST(DcgmSource, IntervalBelow100MillisecondsIsRefused) {
  Scenario scenario(two_cards());
  Harness h;
  const std::string message = error_of([&] { DcgmSource source(h.options(0.05)); });
  EXPECT_NE(message.find("interval 50 ms is too short"), std::string::npos) << message;
  EXPECT_NE(message.find("100 ms"), std::string::npos) << message;
  EXPECT_EQ(h.fake.calls("dcgmWatchFields"), 0);  // refused before DCGM is touched
  EXPECT_NE(error_of([&] { DcgmSource source(h.options(0.0)); }).find("too short"),
            std::string::npos);
  EXPECT_NE(error_of([&] { DcgmSource source(h.options(std::nan(""))); }).find("too short"),
            std::string::npos);
  DcgmSource fastest(h.options(0.1));
  EXPECT_EQ(h.fake.last_watch_us(), 100000);
}

TEST(DcgmSource, DefaultIntervalIsOneSecond) {
  Scenario scenario(two_cards());
  Harness h;
  DcgmSourceOptions options = h.options();
  options.interval_s = DcgmSourceOptions{}.interval_s;
  DcgmSource source(options);
  EXPECT_EQ(h.fake.last_watch_us(), 1000000);
}

TEST(DcgmSource, StopsAfterTheDuration) {
  Scenario scenario(two_cards());
  Harness h;
  DcgmSourceOptions options = h.options();
  options.duration_s = 3.0;
  DcgmSource source(options);
  EXPECT_EQ(take(source, 100).size(), 6U);  // 3 ticks of 2 cards
}

TEST(DcgmSource, ConnectsToAHostEngineAndCleansUp) {
  json s = two_cards();
  s["host_engines"] = {"10.0.0.5:5555"};
  Scenario scenario(s);
  Harness h;
  {
    DcgmSourceOptions options = h.options();
    options.host_engine = "10.0.0.5:5555";
    DcgmSource source(options);
    EXPECT_EQ(h.fake.last_address(), "10.0.0.5:5555");
    EXPECT_EQ(h.fake.calls("dcgmStartEmbedded"), 0);
    EXPECT_EQ(take(source, 2).size(), 2U);
    EXPECT_GT(h.fake.live_objects(), 0);
  }
  // Watches, groups and field groups are removed before disconnecting: a shared host engine
  // keeps nothing of ours.
  EXPECT_EQ(h.fake.calls("dcgmUnwatchFields"), 2);
  EXPECT_EQ(h.fake.calls("dcgmGroupDestroy"), 2);
  EXPECT_EQ(h.fake.calls("dcgmFieldGroupDestroy"), 2);
  EXPECT_EQ(h.fake.calls("dcgmDisconnect"), 1);
  EXPECT_EQ(h.fake.calls("dcgmShutdown"), 1);
}

TEST(DcgmSource, LibraryOverriddenByEnvironment) {
  Scenario scenario(two_cards());
  Harness h;
  ::setenv("MIGPOWER_DCGM_LIBRARY", kFakeLibrary, 1);
  DcgmSourceOptions options = h.options();
  options.library_path.clear();
  DcgmSource source(options);
  ::unsetenv("MIGPOWER_DCGM_LIBRARY");
  EXPECT_EQ(source.card_count(), 2U);
}

// Each way DCGM can fail to start, with the message an operator sees.
struct StartFailure {
  const char* name;
  json errors;
  std::string host_engine;
  dcgm::Return code;
  const char* message_part;
};

class DcgmStartFailure : public ::testing::TestWithParam<StartFailure> {};

TEST_P(DcgmStartFailure, IsReportedClearly) {
  const StartFailure& failure = GetParam();
  json s = two_cards();
  s["errors"] = failure.errors;
  Scenario scenario(s);
  Harness h;
  DcgmSourceOptions options = h.options();
  options.host_engine = failure.host_engine;
  try {
    DcgmSource source(options);
    FAIL() << "no error";
  } catch (const dcgm::DcgmError& e) {
    EXPECT_EQ(e.code(), failure.code);
    EXPECT_NE(std::string(e.what()).find(failure.message_part), std::string::npos) << e.what();
  }
  EXPECT_EQ(h.fake.live_objects(), 0);  // a failed start leaves nothing behind
}

INSTANTIATE_TEST_SUITE_P(
    Errors, DcgmStartFailure,
    ::testing::Values(
        StartFailure{"InitFails",
                     {{"dcgmInit", -7}},
                     "",
                     dcgm::kInitError,
                     "dcgmInit: DCGM failed to initialize (DCGM error -7"},
        StartFailure{"HostEngineNotRunning", json::object(), "10.9.9.9", dcgm::kConnectionNotValid,
                     "dcgmConnect(10.9.9.9): no connection to the DCGM host engine (is "
                     "nv-hostengine running and reachable?) (DCGM error -21: fake: connection "
                     "not valid)"},
        StartFailure{"NoPermission",
                     {{"dcgmStartEmbedded", -17}},
                     "",
                     dcgm::kNoPermission,
                     "dcgmStartEmbedded: no permission (run as root"},
        StartFailure{"NvmlMissing",
                     {{"dcgmStartEmbedded", -56}},
                     "",
                     dcgm::kNvmlNotLoaded,
                     "DCGM could not load NVML"},
        StartFailure{"NotSupported",
                     {{"dcgmGetAllSupportedDevices", -6}},
                     "",
                     dcgm::kNotSupported,
                     "not supported by this GPU or driver"},
        StartFailure{"CardWatchRefused",
                     {{"dcgmWatchFields", -24}},
                     "",
                     dcgm::kMaxLimit,
                     "dcgmWatchFields(card fields): the host engine's limit"},
        StartFailure{"HierarchyRefused",
                     {{"dcgmGetGpuInstanceHierarchy", -12}},
                     "",
                     dcgm::kVersionMismatch,
                     "does not accept the struct version"}),
    [](const ::testing::TestParamInfo<StartFailure>& info) { return info.param.name; });

TEST(DcgmSource, NoGpuIsAnError) {
  Scenario scenario(json{{"gpus", json::array()}});
  Harness h;
  const std::string message = error_of([&] { DcgmSource source(h.options()); });
  EXPECT_EQ(message, "dcgm: the embedded host engine sees no GPU that DCGM supports");
}

TEST(DcgmSource, MissingLibraryIsNamed) {
  Harness h;
  DcgmSourceOptions options = h.options();
  options.library_path = "/nonexistent/libdcgm.so.4";
  try {
    DcgmSource source(options);
    FAIL() << "no error";
  } catch (const dcgm::DcgmError& e) {
    EXPECT_EQ(e.code(), dcgm::kLibraryNotFound);
    EXPECT_NE(std::string(e.what()).find("dcgm: /nonexistent/libdcgm.so.4 not found"),
              std::string::npos)
        << e.what();
  }
  const SourceReport report = probe_dcgm(options);
  EXPECT_FALSE(report.available);
  EXPECT_NE(report.detail.find("not found"), std::string::npos);
}

TEST(DcgmSource, LibraryThatIsNotDcgmIsNamed) {
  Harness h;
  DcgmSourceOptions options = h.options();
  options.library_path = "libm.so.6";
  try {
    DcgmSource source(options);
    FAIL() << "no error";
  } catch (const dcgm::DcgmError& e) {
    EXPECT_EQ(e.code(), dcgm::kFunctionNotFound);
    EXPECT_EQ(std::string(e.what()),
              "dcgm: libm.so.6 does not export dcgmInit (not DCGM, or DCGM older than 2.0)");
  }
}

TEST(DcgmSource, WithoutProfilingTheCardIsStillRecorded) {
  json s = two_cards();
  s["errors"] = {{"dcgmWatchFields.profiling", -36}};
  Scenario scenario(s);
  Harness h;
  DcgmSource source(h.options());
  EXPECT_FALSE(source.profiling_watched());
  EXPECT_TRUE(h.saw_event("profiling fields unavailable")) << h.events.size();
  EXPECT_TRUE(h.saw_event("not supported on this GPU"));
  const std::vector<Frame> frames = take(source, 2);
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(frames[0].power_w, 210.5);
  for (const Frame& f : frames) {
    for (const InstanceSample& instance : f.instances) {
      for (const auto& activity : instance.activity) EXPECT_FALSE(activity.has_value());
      EXPECT_TRUE(instance.fb_used_mib.has_value());  // still watched
    }
  }
  const SourceReport report = source.report();
  ASSERT_FALSE(report.notes.empty());
  EXPECT_NE(report.notes[0].find("profiling fields unavailable"), std::string::npos);
}

TEST(DcgmSource, ReconnectsAfterTheHostEngineGoesAway) {
  json s = two_cards();
  s["errors"] = {
      {"dcgmEntitiesGetLatestValues", {{"code", -21}, {"from_step", 2}, {"to_step", 2}}}};
  Scenario scenario(s);
  Harness h;
  DcgmSource source(h.options());
  const std::vector<Frame> frames = take(source, 6);  // ticks 0, 1, then 3, 4 (2 is lost)
  ASSERT_EQ(frames.size(), 6U);
  EXPECT_EQ(frames[3].timestamp_s, kStart + 1.0);
  EXPECT_EQ(frames[4].timestamp_s, kStart + 3.0);
  EXPECT_EQ(frames[4].power_w, 180.0);  // step 3 repeats the last listed value
  EXPECT_EQ(source.reconnects(), 1U);
  EXPECT_EQ(h.fake.calls("dcgmStartEmbedded"), 2);
  EXPECT_TRUE(h.saw_event("no connection to the DCGM host engine"));
  EXPECT_TRUE(h.saw_event("reconnected"));
}

TEST(DcgmSource, TransientFailureSkipsOneTick) {
  json s = two_cards();
  s["errors"] = {
      {"dcgmEntitiesGetLatestValues", {{"code", -11}, {"from_step", 1}, {"to_step", 1}}}};
  Scenario scenario(s);
  Harness h;
  DcgmSource source(h.options());
  const std::vector<Frame> frames = take(source, 4);
  ASSERT_EQ(frames.size(), 4U);
  EXPECT_EQ(frames[2].timestamp_s, kStart + 2.0);
  EXPECT_EQ(source.reconnects(), 0U);
  EXPECT_TRUE(h.saw_event("timed out"));
}

TEST(DcgmSource, PermanentReadFailureEndsTheSource) {
  json s = two_cards();
  s["errors"] = {{"dcgmEntitiesGetLatestValues", {{"code", -17}, {"from_step", 1}}}};
  Scenario scenario(s);
  Harness h;
  DcgmSource source(h.options());
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  ASSERT_TRUE(source.next(frame));
  try {
    while (source.next(frame)) {
    }
    FAIL() << "no error";
  } catch (const dcgm::DcgmError& e) {
    EXPECT_EQ(e.code(), dcgm::kNoPermission);
    EXPECT_NE(std::string(e.what()).find("dcgmEntitiesGetLatestValues(card fields): no permission"),
              std::string::npos)
        << e.what();
  }
}

TEST(DcgmSource, PicksUpAChangedMigLayout) {
  json s = two_cards();
  auto& instances = s["gpus"][0]["instances"];
  instances[0]["to_step"] = 1;  // the 3g.20gb instance is destroyed after step 1 ...
  instances.push_back({{"gi_id", 5},
                       {"profile", "3g.20gb"},
                       {"profile_id", 2},
                       {"slices", 3},
                       {"entity_id", 6},
                       {"from_step", 2},  // ... and another created in its place
                       {"values", {{"1001", 0.8}}}});
  Scenario scenario(s);
  Harness h;
  DcgmSourceOptions options = h.options();
  options.layout_check_interval_s = 3600.0;  // the vanished entity itself triggers the check
  DcgmSource source(options);
  const std::vector<Frame> frames = take(source, 8);
  ASSERT_EQ(frames.size(), 8U);
  EXPECT_EQ(frames[0].instances[1].gpu_i_id, 2);
  // Step 2: the old instance answers "not found", so its values are missing.
  EXPECT_EQ(frames[4].instances[1].gpu_i_id, 2);
  EXPECT_FALSE(frames[4].instances[1].get(Activity::gr_engine).has_value());
  // Step 3: the new layout is watched.
  ASSERT_EQ(frames[6].instances.size(), 2U);
  EXPECT_EQ(frames[6].instances[1].gpu_i_id, 5);
  EXPECT_EQ(frames[6].instances[1].get(Activity::gr_engine), 0.8);
  EXPECT_EQ(source.layout_changes(), 1U);
  EXPECT_TRUE(h.saw_event("MIG layout changed"));
}

TEST(DcgmSource, PeriodicLayoutCheckFindsANewInstance) {
  json s = two_cards();
  s["gpus"][1]["instances"] = {{{"gi_id", 1}, {"profile", "1g.10gb"}, {"from_step", 2}}};
  s["gpus"][1]["mig"] = true;
  Scenario scenario(s);
  Harness h;
  DcgmSourceOptions options = h.options();
  options.layout_check_interval_s = 2.0;
  DcgmSource source(options);
  EXPECT_EQ(source.report().cards[1].mig, "on, no GPU instances");
  const std::vector<Frame> frames = take(source, 6);
  ASSERT_EQ(frames.size(), 6U);
  EXPECT_TRUE(frames[1].instances.empty());  // MIG on, no GPU instance yet
  EXPECT_TRUE(frames[3].instances.empty());
  ASSERT_EQ(frames[5].instances.size(), 1U);  // found by the check at 2 s
  EXPECT_EQ(frames[5].instances[0].gpu_i_id, 1);
  EXPECT_EQ(frames[5].instances[0].profile, "1g.10gb");
  EXPECT_EQ(frames[5].instances[0].compute_slices, 1);
  EXPECT_EQ(source.layout_changes(), 1U);
  EXPECT_EQ(source.report().cards[1].mig, "on");
}

}  // namespace
}  // namespace migpower
