// The live agent's own cost: CPU time and memory per frame of `migpower record`, against a bare
// poller that makes the same NVML calls (bench/sources/nvml/nvml_poll_floor.cpp) or the same HTTP
// scrape (bench/sources/prometheus/scrape_floor.cpp) and nothing else, in the same run. No GPU is
// needed: NVML is the fake library the tests build (tests/fakes/fake_nvml.cpp), dcgm-exporter a
// fixture served on loopback by this program.
//
//   agent_bench --migpower build/migpower --fake-nvml build/tests/libfake-nvml.so
//               --nvml-floor build/bench/nvml_poll_floor
//               [--scrape-floor build/bench/scrape_floor --exporter-fixture FILE]
//               [--interval-ms 100] [--frames 60,600] [--slow-frames 10,60] [--repeat 1]
//               [--agent record|serve] [--cards N]
//
// Every program runs as a child process; its CPU time (user + system) and peak RSS come from
// wait4. Each runs twice, for a short and a long recording; the difference between the two is
// the cost per frame (start-up, discovery and exit cancel out), and what is left of the short one
// is the fixed cost. The long run's resident memory, read from /proc a few frames after the short
// run's length and again a few frames before its end, shows whether memory grows with frames. A
// second pair at 1 s intervals gives the CPU share of a core at the usual 1 frame/s, which includes
// what an agent does between frames. All runs of one repeat go at once, started a little apart so
// their frames do not coincide; they sleep almost all the time.
#include <dlfcn.h>
#include <fcntl.h>
#include <httplib.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sources/live_clock.hpp"
#include "sources/nvml/nvml_poll_floor.hpp"
#include "sources/nvml/nvml_source.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "agent_bench: %s\n", message.c_str());
  std::exit(1);
}

// ---- fake NVML scenarios ------------------------------------------------------------------------

json gpm_metrics(int seed) {
  json metrics;
  const char* names[] = {"GRAPHICS_UTIL", "SM_UTIL",   "SM_OCCUPANCY", "ANY_TENSOR_UTIL",
                         "DRAM_BW_UTIL",  "FP64_UTIL", "FP32_UTIL",    "FP16_UTIL"};
  int k = seed;
  for (const char* name : names) {
    metrics[name] = json::array({(k * 7) % 90, (k * 13 + 5) % 95, (k * 3 + 11) % 80});
    ++k;
  }
  return metrics;
}

// An H100 80GB whose readings change every 0.1 s of wall time; `mig`: split into seven 1g.10gb
// instances (each with memory and all eight GPM metrics), else one whole card with GPM.
std::string h100_scenario(bool mig, int cards = 1) {
  json card = {{"uuid", mig ? "GPU-a1000000-0000-4000-8000-000000000007"
                            : "GPU-a1000000-0000-4000-8000-000000000001"},
               {"name", "NVIDIA H100 80GB HBM3"},
               {"power_mw", {300000, 420000, 510000, 380000}},
               {"instant_power_mw", {301000, 433000, 498000, 377000}},
               {"energy_start_mj", 1000000},
               {"power_limit_mw", 700000},
               {"sm_clock_mhz", {1980, 1755}},
               {"mem_clock_mhz", 2619},
               {"temperature_c", {41, 42, 43}},
               {"utilization_gpu", {37, 52}},
               {"memory_used_mib", 30000},
               {"memory_total_mib", 81559},
               {"gpm", true},
               {"gpm_metrics", gpm_metrics(1)}};
  if (mig) {
    json instances = json::array();
    for (int i = 0; i < 7; ++i) {
      instances.push_back({{"slot", i},
                           {"gi", 7 + i},
                           {"profile", "1g.10gb"},
                           {"gi_slices", 1},
                           {"sms", 16},
                           {"memory_mib", 9856},
                           {"fb_used_mib", {1000 + 100 * i, 1200 + 100 * i}},
                           {"gpm_metrics", gpm_metrics(2 + i)}});
    }
    card["mig_layouts"] = json::array({{{"instances", instances}}});
  }
  // `cards` of them (a node of 8 GPUs), each its own UUID.
  json devices = json::array();
  for (int c = 0; c < cards; ++c) {
    json copy = card;
    std::string uuid = copy["uuid"].get<std::string>();
    uuid.replace(uuid.size() - 4, 2, c < 10 ? "0" + std::to_string(c) : std::to_string(c));
    copy["uuid"] = uuid;
    devices.push_back(copy);
  }
  return json{{"wall_clock", true}, {"tick_seconds", 0.1}, {"devices", devices}}.dump();
}

// ---- NVML calls per frame, migpower against the floor (in this process, on the fake) ----------

using CallCounts = std::map<std::string, unsigned long>;

class FakeNvmlHooks {
 public:
  explicit FakeNvmlHooks(const std::string& library)
      : handle_(dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    if (handle_ == nullptr) fail("cannot open " + library);
    calls_ = reinterpret_cast<unsigned long (*)(const char*)>(dlsym(handle_, "fake_nvml_calls"));
    reset_ = reinterpret_cast<void (*)()>(dlsym(handle_, "fake_nvml_reset"));
    if (calls_ == nullptr || reset_ == nullptr) fail(library + " is not the fake NVML library");
  }
  ~FakeNvmlHooks() { dlclose(handle_); }
  FakeNvmlHooks(const FakeNvmlHooks&) = delete;
  FakeNvmlHooks& operator=(const FakeNvmlHooks&) = delete;

  void reset() const { reset_(); }
  [[nodiscard]] CallCounts counts() const {
    CallCounts out;
    for (const char* name : migpower::bench::kNvmlFunctionNames) out[name] = calls_(name);
    return out;
  }

 private:
  void* handle_;
  unsigned long (*calls_)(const char*) = nullptr;
  void (*reset_)() = nullptr;
};

// Calls per frame by function over `frames` steady frames (after the first two: GPM needs a
// previous sample), of `frame` called once per frame.
template <typename Frame>
CallCounts calls_per_frame(const FakeNvmlHooks& hooks, Frame&& frame) {
  constexpr int kWarmUp = 3;
  constexpr int kFrames = 50;
  for (int i = 0; i < kWarmUp; ++i) frame();
  const CallCounts before = hooks.counts();
  for (int i = 0; i < kFrames; ++i) frame();
  CallCounts out;
  for (const auto& [name, count] : hooks.counts()) {
    const unsigned long made = count - before.at(name);
    if (made % kFrames != 0) fail(std::string(name) + " is not called the same in every frame");
    if (made > 0) out[name] = made / kFrames;
  }
  return out;
}

unsigned long total(const CallCounts& counts) {
  unsigned long sum = 0;
  for (const auto& entry : counts) sum += entry.second;
  return sum;
}

// Both make the same calls per frame, or the floor is not the floor of this agent.
// One "frame" is one tick of the node: a frame of each of its `cards` cards.
unsigned long check_same_calls(const std::string& library, const std::string& scenario,
                               const std::string& label, int cards) {
  const FakeNvmlHooks hooks(library);
  ::setenv("MIGPOWER_FAKE_NVML_SCENARIO", scenario.c_str(), 1);
  hooks.reset();
  CallCounts agent;
  {
    migpower::ManualClock clock;
    migpower::NvmlSourceOptions options;
    options.library_path = library;
    options.interval_s = 0.001;
    options.clock = &clock;
    migpower::NvmlSource source(options);
    migpower::Frame frame;
    agent = calls_per_frame(hooks, [&] {
      for (int c = 0; c < cards; ++c) {
        if (!source.next(frame)) fail("the NVML source ended early");
      }
    });
  }
  hooks.reset();
  CallCounts floor;
  {
    migpower::bench::NvmlPollFloor poller(library);
    floor = calls_per_frame(hooks, [&] { poller.poll_frame(); });
  }
  hooks.reset();
  ::unsetenv("MIGPOWER_FAKE_NVML_SCENARIO");
  if (agent != floor) {
    std::string text;
    for (const auto& [name, count] : agent) text += " " + name + "=" + std::to_string(count);
    text += " | floor:";
    for (const auto& [name, count] : floor) text += " " + name + "=" + std::to_string(count);
    fail(label + ": migpower and the floor make different NVML calls per frame:" + text);
  }
  return total(agent);
}

// ---- child processes ----------------------------------------------------------------------------

struct Measure {
  long frames = 0;
  double cpu_us = 0.0;
  long peak_rss_kib = 0;
  long rss_growth_kib = 0;  // resident memory late in the run minus early (watched runs)
};

struct Child {
  std::vector<std::string> argv;
  std::vector<std::string> env;  // NAME=VALUE added to (or replacing in) this environment
  fs::path out, err;
  pid_t pid = 0;
  bool watch = false;  // read its resident memory early and late in the run
  long rss_early_kib = 0, rss_late_kib = 0;
};

// Resident memory of a running process (/proc/PID/statm, in pages).
long resident_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/statm");
  long size = 0;
  long resident = 0;
  if (!(in >> size >> resident)) fail("cannot read /proc/" + std::to_string(pid) + "/statm");
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

std::vector<std::string> environment_with(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const std::string name = text.substr(0, text.find('='));
    const bool replaced = std::any_of(extra.begin(), extra.end(), [&](const std::string& e) {
      return e.compare(0, name.size() + 1, name + "=") == 0;
    });
    if (!replaced) env.push_back(text);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

void spawn(Child& child) {
  std::vector<char*> argv;
  for (auto& word : child.argv) argv.push_back(word.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text = environment_with(child.env);
  std::vector<char*> env;
  for (auto& entry : env_text) env.push_back(entry.data());
  env.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, child.out.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, child.err.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int error = posix_spawn(&child.pid, argv[0], &actions, nullptr, argv.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) fail("cannot run " + child.argv[0] + ": " + std::strerror(error));
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Frames as the program says it made them: migpower's "recorded N frames", a floor's "frames N".
long frames_reported(const std::string& text, const std::string& before) {
  const std::size_t at = text.find(before);
  if (at == std::string::npos) return -1;
  return std::atol(text.c_str() + at + before.size());
}

Measure finish(const Child& child) {
  int status = 0;
  rusage usage{};
  if (wait4(child.pid, &status, 0, &usage) != child.pid) fail("wait4 failed");
  std::string command;
  for (const auto& word : child.argv) command += (command.empty() ? "" : " ") + word;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fail(command + " failed:\n" + read_text(child.err));
  }
  Measure m;
  m.cpu_us = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e6 +
             static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  m.peak_rss_kib = usage.ru_maxrss;
  m.rss_growth_kib = child.rss_late_kib - child.rss_early_kib;
  m.frames = frames_reported(read_text(child.err), "recorded ");
  if (m.frames < 0) m.frames = frames_reported(read_text(child.err), "stopped after ");
  if (m.frames < 0) m.frames = frames_reported(read_text(child.out), "frames ");
  if (m.frames < 0 && child.argv.back() != "--version") fail(command + ": no frame count");
  return m;
}

// ---- the runs -----------------------------------------------------------------------------------

struct Options {
  std::string migpower, fake_nvml, nvml_floor, scrape_floor, exporter_fixture;
  int interval_ms = 100;
  long short_frames = 60, long_frames = 600;
  long slow_short_frames = 10, slow_long_frames = 60;  // at 1 s
  int repeat = 1;
  std::string agent = "record";  // or "serve": the agent with its HTTP side and the online model
  int cards = 1;                 // fake H100s on the node
};

// One source (a fake card, or the exporter) as migpower and as its floor would read it.
struct Subject {
  std::string label;
  std::vector<std::string> env;
  std::vector<std::string> migpower_source;  // --source ...
  std::function<std::vector<std::string>(int interval_ms, long frames)> floor;
  unsigned long nvml_calls = 0;
};

std::string ms_text(long ms) { return std::to_string(ms) + "ms"; }

std::vector<std::string> record_argv(const Options& o, const Subject& s, int interval_ms,
                                     long frames, const fs::path& trace) {
  std::vector<std::string> argv = {o.migpower, o.agent};
  argv.insert(argv.end(), s.migpower_source.begin(), s.migpower_source.end());
  for (const std::string& word : {std::string("--interval"), ms_text(interval_ms),
                                  std::string("--duration"), ms_text(interval_ms * frames)}) {
    argv.push_back(word);
  }
  // record writes a trace; serve attributes and serves /metrics on a port of its own.
  const std::vector<std::string> tail = o.agent == "serve"
                                            ? std::vector<std::string>{"--listen", "127.0.0.1:0"}
                                            : std::vector<std::string>{"--out", trace.string()};
  argv.insert(argv.end(), tail.begin(), tail.end());
  return argv;
}

// What one program (migpower or a floor) cost on one subject: per frame, fixed, memory.
struct Cost {
  double us_per_frame = 1e300;  // the least of the repeats
  double fixed_ms = 1e300;
  double us_per_second_at_1s = 1e300;
  long peak_rss_kib = 0;           // of the long run; the largest of the repeats
  long rss_growth_kib = -1000000;  // within the long run; the largest of the repeats
};

void add(Cost& cost, const Measure& a, const Measure& b, const Measure& slow_a,
         const Measure& slow_b) {
  if (b.frames <= a.frames || slow_b.frames <= slow_a.frames) fail("too few frames were made");
  const double per_frame = (b.cpu_us - a.cpu_us) / static_cast<double>(b.frames - a.frames);
  cost.us_per_frame = std::min(cost.us_per_frame, per_frame);
  cost.fixed_ms =
      std::min(cost.fixed_ms, (a.cpu_us - static_cast<double>(a.frames) * per_frame) / 1000.0);
  cost.us_per_second_at_1s =
      std::min(cost.us_per_second_at_1s, (slow_b.cpu_us - slow_a.cpu_us) /
                                             static_cast<double>(slow_b.frames - slow_a.frames));
  cost.peak_rss_kib = std::max(cost.peak_rss_kib, b.peak_rss_kib);
  cost.rss_growth_kib = std::max(cost.rss_growth_kib, b.rss_growth_kib);
}

double mb(long kib) { return static_cast<double>(kib) / 1024.0; }

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--migpower" && has_value) {
      o.migpower = argv[++i];
    } else if (arg == "--fake-nvml" && has_value) {
      o.fake_nvml = argv[++i];
    } else if (arg == "--nvml-floor" && has_value) {
      o.nvml_floor = argv[++i];
    } else if (arg == "--scrape-floor" && has_value) {
      o.scrape_floor = argv[++i];
    } else if (arg == "--exporter-fixture" && has_value) {
      o.exporter_fixture = argv[++i];
    } else if (arg == "--interval-ms" && has_value) {
      o.interval_ms = std::atoi(argv[++i]);
    } else if (arg == "--frames" && has_value) {
      const std::string text = argv[++i];
      o.short_frames = std::atol(text.c_str());
      o.long_frames = std::atol(text.c_str() + std::min(text.find(',') + 1, text.size()));
    } else if (arg == "--slow-frames" && has_value) {
      const std::string text = argv[++i];
      o.slow_short_frames = std::atol(text.c_str());
      o.slow_long_frames = std::atol(text.c_str() + std::min(text.find(',') + 1, text.size()));
    } else if (arg == "--agent" && has_value) {
      o.agent = argv[++i];
    } else if (arg == "--cards" && has_value) {
      o.cards = std::atoi(argv[++i]);
    } else if (arg == "--repeat" && has_value) {
      o.repeat = std::atoi(argv[++i]);
    } else {
      fail("unknown argument " + arg + " (see the top of bench/cli/agent_bench.cpp)");
    }
  }
  if (o.migpower.empty() || o.fake_nvml.empty() || o.nvml_floor.empty() || o.interval_ms < 1 ||
      o.short_frames < 1 || o.long_frames <= o.short_frames || o.slow_short_frames < 1 ||
      o.slow_long_frames <= o.slow_short_frames || o.repeat < 1 ||
      (o.agent != "record" && o.agent != "serve") || o.cards < 1 || o.cards > 16) {
    fail(
        "needs --migpower, --fake-nvml and --nvml-floor (see the top of "
        "bench/cli/agent_bench.cpp)");
  }
  o.fake_nvml = fs::absolute(o.fake_nvml).string();

  std::vector<Subject> subjects;
  for (const bool mig : {true, false}) {
    Subject s;
    s.label = std::string(mig ? "nvml, H100 7 x 1g.10gb" : "nvml, H100 whole card") +
              (o.cards > 1 ? " x " + std::to_string(o.cards) + " cards" : "");
    const std::string scenario = h100_scenario(mig, o.cards);
    s.env = {"MIGPOWER_NVML_LIBRARY=" + o.fake_nvml, "MIGPOWER_FAKE_NVML_SCENARIO=" + scenario};
    s.migpower_source = {"--source", "nvml"};
    s.floor = [&o](int interval_ms, long frames) {
      return std::vector<std::string>{o.nvml_floor, o.fake_nvml,
                                      std::to_string(interval_ms / 1000.0), std::to_string(frames)};
    };
    s.nvml_calls = check_same_calls(o.fake_nvml, scenario, s.label, o.cards);
    subjects.push_back(std::move(s));
  }

  // The exporter: the fixture on loopback, served from a thread of this process (so its cost
  // is not the children's).
  httplib::Server exporter;
  std::thread exporter_thread;
  if (!o.scrape_floor.empty() && !o.exporter_fixture.empty()) {
    const std::string body = read_text(o.exporter_fixture);
    if (body.empty()) fail("cannot read " + o.exporter_fixture);
    exporter.Get("/metrics", [body](const httplib::Request&, httplib::Response& response) {
      response.set_content(body, "text/plain; version=0.0.4");
    });
    const int port = exporter.bind_to_any_port("127.0.0.1");
    exporter_thread = std::thread([&exporter] { exporter.listen_after_bind(); });
    while (!exporter.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const std::string origin = "http://127.0.0.1:" + std::to_string(port);
    Subject s;
    s.label = "dcgm-exporter, " + std::to_string(body.size() / 1024) + " KB scrape";
    s.migpower_source = {"--source", "dcgm-exporter=" + origin + "/metrics"};
    s.floor = [&o, origin](int interval_ms, long frames) {
      return std::vector<std::string>{o.scrape_floor, origin, "/metrics",
                                      std::to_string(interval_ms / 1000.0), std::to_string(frames)};
    };
    subjects.push_back(std::move(s));
  }

  const fs::path work =
      fs::temp_directory_path() / ("migpower-agent-bench-" + std::to_string(::getpid()));
  fs::create_directories(work);

  // Start-up alone: migpower's binary, and the floor opening NVML and finding the 7-way card.
  Measure version;
  Measure floor_startup;
  {
    Child a{{o.migpower, "--version"}, {}, work / "v.out", work / "v.err"};
    spawn(a);
    version = finish(a);
    Child b{subjects[0].floor(o.interval_ms, 0), subjects[0].env, work / "f.out", work / "f.err"};
    spawn(b);
    floor_startup = finish(b);
  }

  std::vector<Cost> agent_cost(subjects.size()), floor_cost(subjects.size());
  double sliced_floor_us_per_second = 1e300;
  for (int r = 0; r < o.repeat; ++r) {
    // Per subject and program: short, long, slow short, slow long.
    std::vector<Child> children;
    for (std::size_t s = 0; s < subjects.size(); ++s) {
      const Subject& subject = subjects[s];
      const std::pair<int, long> runs[] = {{o.interval_ms, o.short_frames},
                                           {o.interval_ms, o.long_frames},
                                           {1000, o.slow_short_frames},
                                           {1000, o.slow_long_frames}};
      for (int program = 0; program < 2; ++program) {
        for (const auto& [interval_ms, frames] : runs) {
          const std::string name = std::to_string(children.size());
          Child child;
          child.argv = program == 0
                           ? record_argv(o, subject, interval_ms, frames, work / (name + ".csv"))
                           : subject.floor(interval_ms, frames);
          child.env = subject.env;
          child.out = work / (name + ".out");
          child.err = work / (name + ".err");
          child.watch = interval_ms == o.interval_ms && frames == o.long_frames;
          children.push_back(std::move(child));
        }
      }
    }
    // The NVML floor again at 1 s, sleeping in 50 ms slices as migpower's clock once did to see
    // Ctrl-C: what waiting that way would cost between frames (live_clock.cpp now waits once).
    for (const long frames : {o.slow_short_frames, o.slow_long_frames}) {
      const std::string name = std::to_string(children.size());
      Child child;
      child.argv = subjects[0].floor(1000, frames);
      child.argv.emplace_back("0.05");
      child.env = subjects[0].env;
      child.out = work / (name + ".out");
      child.err = work / (name + ".err");
      children.push_back(std::move(child));
    }
    const auto stagger =
        std::chrono::microseconds(o.interval_ms * 1000 / static_cast<int>(children.size()));
    const auto started = std::chrono::steady_clock::now();
    for (Child& child : children) {
      spawn(child);
      std::this_thread::sleep_for(stagger);
    }
    // Memory of the long runs, early (after warm-up) and late.
    const auto interval = std::chrono::milliseconds(o.interval_ms);
    std::this_thread::sleep_until(started + interval * (o.short_frames + 5));
    for (Child& child : children) {
      if (child.watch) child.rss_early_kib = resident_kib(child.pid);
    }
    std::this_thread::sleep_until(started + interval * (o.long_frames - 5));
    for (Child& child : children) {
      if (child.watch) child.rss_late_kib = resident_kib(child.pid);
    }
    std::vector<Measure> measures;
    for (const Child& child : children) measures.push_back(finish(child));
    for (std::size_t s = 0; s < subjects.size(); ++s) {
      Measure* m = &measures[s * 8];
      // migpower counts a frame per card; the floor, a poll of the whole node.
      for (int k = 0; k < 4; ++k) m[k].frames /= o.cards;
      add(agent_cost[s], m[0], m[1], m[2], m[3]);
      add(floor_cost[s], m[4], m[5], m[6], m[7]);
    }
    const Measure* sliced = &measures[subjects.size() * 8];
    sliced_floor_us_per_second = std::min(
        sliced_floor_us_per_second, (sliced[1].cpu_us - sliced[0].cpu_us) /
                                        static_cast<double>(sliced[1].frames - sliced[0].frames));
  }
  if (exporter_thread.joinable()) {
    exporter.stop();
    exporter_thread.join();
  }
  fs::remove_all(work);

  std::printf(
      "%d ms interval; per frame = CPU (user + sys) of a %ld-frame run minus a %ld-frame run, "
      "over the frames between; fixed = the rest; RSS growth = resident memory of the %ld-frame "
      "run at frame ~%ld minus at frame ~%ld; best of %d\n",
      o.interval_ms, o.long_frames, o.short_frames, o.long_frames, o.long_frames - 5,
      o.short_frames + 5, o.repeat);
  std::printf("%-30s %9s %9s %6s %8s %8s %14s %14s\n", "source", "migpower", "floor", "ratio",
              "fixed", "fixed", "peak RSS MB", "RSS growth KB");
  std::printf("%-30s %9s %9s %6s %8s %8s %14s %14s\n", "", "us/frame", "us/frame", "", "ms (mp)",
              "ms (fl)", "mp / floor", "mp / floor");
  for (std::size_t s = 0; s < subjects.size(); ++s) {
    const Cost& a = agent_cost[s];
    const Cost& f = floor_cost[s];
    std::printf("%-30s %9.1f %9.1f %5.2fx %8.1f %8.1f %6.1f / %5.1f %6ld / %5ld\n",
                subjects[s].label.c_str(), a.us_per_frame, f.us_per_frame,
                a.us_per_frame / f.us_per_frame, a.fixed_ms, f.fixed_ms, mb(a.peak_rss_kib),
                mb(f.peak_rss_kib), a.rss_growth_kib, f.rss_growth_kib);
  }
  std::printf("NVML calls per frame, the same for migpower and the floor (counted by the fake):");
  for (const Subject& s : subjects) {
    if (s.nvml_calls > 0) std::printf(" %s %lu;", s.label.c_str(), s.nvml_calls);
  }
  std::printf("\nAt 1 frame/s (1 s interval, %ld-frame run minus %ld-frame run), CPU per second:\n",
              o.slow_long_frames, o.slow_short_frames);
  for (std::size_t s = 0; s < subjects.size(); ++s) {
    const Cost& a = agent_cost[s];
    const Cost& f = floor_cost[s];
    std::printf("  %-32s migpower %7.1f us = %.4f %% of one core; floor %7.1f us = %.4f %%\n",
                subjects[s].label.c_str(), a.us_per_second_at_1s, a.us_per_second_at_1s / 1e4,
                f.us_per_second_at_1s, f.us_per_second_at_1s / 1e4);
  }
  std::printf("  %-32s the floor sleeping in 50 ms slices (the old wait): %.1f us = %.4f %%\n",
              subjects[0].label.c_str(), sliced_floor_us_per_second,
              sliced_floor_us_per_second / 1e4);
  std::printf(
      "Start-up alone: migpower --version %.1f ms CPU, %.1f MB peak RSS; nvml_poll_floor with 0 "
      "frames (dlopen, init, find the 7-way card, shut down) %.1f ms, %.1f MB\n",
      version.cpu_us / 1000.0, mb(version.peak_rss_kib), floor_startup.cpu_us / 1000.0,
      mb(floor_startup.peak_rss_kib));
  return 0;
}
