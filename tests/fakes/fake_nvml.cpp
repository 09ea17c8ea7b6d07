// A fake NVML library for tests: a shared object exporting the NVML functions migpower uses, so
// that NvmlSource's real dlopen path, MIG enumeration, GPM and every error path run without a
// GPU. It is driven by a scenario (JSON) named by MIGPOWER_FAKE_NVML_SCENARIO: a file path, or
// the JSON itself when the value starts with '{'. docs/live-telemetry.md describes the format.
//
// Time is a tick counter: every value given as a list is read at index tick % size, error rules
// and MIG layouts start and end at ticks. The tick moves when a test calls fake_nvml_advance, or
// with the wall clock when the scenario sets "wall_clock": true (for out-of-process tests).
//
// Built twice: libfake-nvml.so with every function, and, with FAKE_NVML_MINIMAL,
// libfake-nvml-minimal.so with only the seven NVML requires (to test missing symbols).

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Return = int;
constexpr Return kSuccess = 0;
constexpr Return kUninitialized = 1;
constexpr Return kInvalidArgument = 2;
constexpr Return kNotSupported = 3;
constexpr Return kNotFound = 6;
constexpr Return kInsufficientSize = 7;
constexpr Return kArgumentVersionMismatch = 25;
constexpr Return kUnknown = 999;

// Struct layouts as in NVML's header (the fake checks the version words callers pass).
struct Memory {
  unsigned long long total, free, used;
};
struct MemoryV2 {
  unsigned version;
  unsigned long long total, reserved, free, used;
};
constexpr unsigned kMemoryV2Version = static_cast<unsigned>(sizeof(MemoryV2)) | (2U << 24U);
struct Utilization {
  unsigned gpu, memory;
};
struct DeviceAttributes {
  unsigned multiprocessor_count, shared_copy_engine_count, shared_decoder_count,
      shared_encoder_count, shared_jpeg_count, shared_ofa_count, gpu_instance_slice_count,
      compute_instance_slice_count;
  unsigned long long memory_size_mib;
};
union Value {
  double d;
  unsigned ui;
  unsigned long ul;
  unsigned long long ull;
  long long sll;
  int si;
  unsigned short us;
};
struct FieldValue {
  unsigned field_id, scope_id;
  long long timestamp_us, latency_us;
  int value_type;
  Return nvml_return;
  Value value;
};
struct GpmSupport {
  unsigned version, is_supported_device;
};
struct ProcessInfo {
  unsigned pid;
  unsigned long long used_gpu_memory;
  unsigned gpu_instance_id, compute_instance_id;
};
struct ProcessUtilizationSample {
  unsigned pid;
  unsigned long long time_stamp;
  unsigned sm_util, mem_util, enc_util, dec_util;
};
struct GpmMetric {
  unsigned metric_id;
  Return nvml_return;
  double value;
  struct {
    char *short_name, *long_name, *unit;
  } metric_info;
};
constexpr unsigned kGpmMetricMax = 333;
struct GpmMetricsGet {
  unsigned version, num_metrics;
  void* sample1;
  void* sample2;
  GpmMetric metrics[kGpmMetricMax];
};

// A number, or a list read at tick % size.
struct Series {
  std::vector<double> values;
  [[nodiscard]] bool present() const { return !values.empty(); }
  [[nodiscard]] double at(long tick) const {
    return values[static_cast<std::size_t>(tick) % values.size()];
  }
};

Series series(const nlohmann::json& node, const char* key) {
  Series out;
  if (!node.contains(key)) return out;
  const auto& value = node.at(key);
  if (value.is_array()) {
    for (const auto& item : value) out.values.push_back(item.get<double>());
  } else {
    out.values.push_back(value.get<double>());
  }
  return out;
}

const std::map<std::string, unsigned> kGpmMetricIds = {
    {"GRAPHICS_UTIL", 1}, {"SM_UTIL", 2},         {"SM_OCCUPANCY", 3},
    {"INTEGER_UTIL", 4},  {"ANY_TENSOR_UTIL", 5}, {"DRAM_BW_UTIL", 10},
    {"FP64_UTIL", 11},    {"FP32_UTIL", 12},      {"FP16_UTIL", 13}};

std::map<unsigned, Series> gpm_metrics(const nlohmann::json& node) {
  std::map<unsigned, Series> out;
  if (!node.contains("gpm_metrics")) return out;
  for (const auto& [name, value] : node.at("gpm_metrics").items()) {
    const auto id = kGpmMetricIds.find(name);
    if (id == kGpmMetricIds.end()) throw std::runtime_error("unknown GPM metric " + name);
    out[id->second] = series(node.at("gpm_metrics"), name.c_str());
  }
  return out;
}

// Every handle the fake gives out points at one of these, so a call can tell a card from a MIG
// device and reject a pointer it never gave.
struct HandleObject {
  int card = -1;
  int layout = -1;  // MIG devices: the layout they belong to
  int entry = -1;   // MIG devices: their index in that layout
};

struct MigEntry {
  unsigned slot = 0, gi = 0, ci = 0;
  std::string profile;
  unsigned gi_slices = 1, ci_slices = 1, sms = 14;
  unsigned long long memory_mib = 4864;
  Series fb_used_mib;
  std::map<unsigned, Series> gpm;
};

struct Layout {
  long from_tick = 0;
  bool mig_on = false;
  unsigned max_devices = 7;
  std::vector<MigEntry> entries;
  std::deque<HandleObject> handles;  // one per entry
};

// A process with a compute context, alive for ticks in [from_tick, to_tick).
struct Process {
  unsigned pid = 0;
  std::string name;
  Series used_memory_mib;  // absent: NVML_VALUE_NOT_AVAILABLE
  Series sm_util, mem_util;
  long gi = -1;  // its GPU instance on a MIG card
  unsigned ci = 0;
  long from_tick = 0, to_tick = LONG_MAX;
  [[nodiscard]] bool alive(long tick) const { return tick >= from_tick && tick < to_tick; }
};

struct Card {
  HandleObject handle;
  std::string uuid, name;
  Series power_mw, instant_power_mw, utilization_gpu, memory_used_mib;
  double energy_start_mj = 0.0;
  Series power_limit_mw, sm_clock_mhz, mem_clock_mhz, temperature_c;
  unsigned long long memory_total_mib = 40960;
  bool gpm_supported = false;
  std::map<unsigned, Series> gpm;
  bool mig_capable = false;
  std::vector<Layout> layouts;
  std::vector<Process> processes;
  // The driver's per-process utilization samples: this many per tick, stamped from the epoch
  // (CPU time, microseconds), and kept for this many ticks.
  long process_samples_per_tick = 1;
  unsigned long long process_sample_epoch_us = 1767225600000000ULL;
  long process_sample_history = 10;
};

struct Rule {
  std::string call;  // a function name, or "*" for every call on the device
  int device = -1;   // card index; -1: any
  Return code = kUnknown;
  long from_tick = 0, to_tick = LONG_MAX;
  long after_calls = 0;  // matching calls that succeed first
  long times = -1;       // how many calls fail; -1: all
  long seen = 0, fired = 0;
};

struct SampleObject {
  bool live = false;
  bool taken = false;
  int card = -1;
  long gi = -1;  // -1: the whole card
  long tick = 0;
};

struct World {
  bool loaded = false;
  bool initialized = false;
  std::string driver_version = "550.54.15";
  double tick_seconds = 1.0;
  bool wall_clock = false;
  std::chrono::steady_clock::time_point loaded_at;
  long manual_ticks = 0;
  std::deque<Card> cards;
  std::vector<Rule> rules;
  std::deque<SampleObject> samples;
  std::map<std::string, unsigned long, std::less<>> calls;  // transparent: no string per call
  std::string error;                                        // why the scenario did not load
};

World& world() {
  static World instance;
  return instance;
}

// Counts a call to `name` (allocating only the first time, so tests can count allocations).
void count_call(const char* name) {
  auto& calls = world().calls;
  const auto found = calls.find(std::string_view(name));
  if (found != calls.end()) {
    ++found->second;
  } else {
    calls.emplace(name, 1);
  }
}

long current_tick() {
  World& w = world();
  long tick = w.manual_ticks;
  if (w.wall_clock) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - w.loaded_at).count();
    tick += static_cast<long>(std::floor(elapsed / w.tick_seconds));
  }
  return tick;
}

std::string read_scenario_text() {
  const char* value = std::getenv("MIGPOWER_FAKE_NVML_SCENARIO");
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error("MIGPOWER_FAKE_NVML_SCENARIO is not set");
  }
  if (value[0] == '{') return value;
  std::ifstream in(value);
  if (!in) throw std::runtime_error(std::string("cannot read scenario ") + value);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

MigEntry parse_entry(const nlohmann::json& node, unsigned default_slot) {
  MigEntry entry;
  entry.slot = node.value("slot", default_slot);
  entry.gi = node.at("gi").get<unsigned>();
  entry.ci = node.value("ci", 0U);
  entry.profile = node.value("profile", std::string());
  entry.gi_slices = node.value("gi_slices", 1U);
  entry.ci_slices = node.value("ci_slices", entry.gi_slices);
  entry.sms = node.value("sms", 14U);
  entry.memory_mib = node.value("memory_mib", 4864ULL);
  entry.fb_used_mib = series(node, "fb_used_mib");
  entry.gpm = gpm_metrics(node);
  return entry;
}

void load_scenario() {
  World& w = world();
  const auto doc = nlohmann::json::parse(read_scenario_text());
  w.driver_version = doc.value("driver_version", std::string("550.54.15"));
  w.tick_seconds = doc.value("tick_seconds", 1.0);
  w.wall_clock = doc.value("wall_clock", false);
  w.loaded_at = std::chrono::steady_clock::now();
  int index = 0;
  for (const auto& node : doc.value("devices", nlohmann::json::array())) {
    Card& card = w.cards.emplace_back();
    card.handle.card = index++;
    card.uuid = node.at("uuid").get<std::string>();
    card.name = node.value("name", std::string("NVIDIA A100-SXM4-40GB"));
    card.power_mw = series(node, "power_mw");
    card.instant_power_mw = series(node, "instant_power_mw");
    card.utilization_gpu = series(node, "utilization_gpu");
    card.memory_used_mib = series(node, "memory_used_mib");
    card.energy_start_mj = node.value("energy_start_mj", 0.0);
    card.power_limit_mw = series(node, "power_limit_mw");
    card.sm_clock_mhz = series(node, "sm_clock_mhz");
    card.mem_clock_mhz = series(node, "mem_clock_mhz");
    card.temperature_c = series(node, "temperature_c");
    card.memory_total_mib = node.value("memory_total_mib", 40960ULL);
    card.gpm_supported = node.value("gpm", false);
    card.gpm = gpm_metrics(node);
    card.mig_capable = node.contains("mig_layouts");
    for (const auto& process_node : node.value("processes", nlohmann::json::array())) {
      Process& process = card.processes.emplace_back();
      process.pid = process_node.at("pid").get<unsigned>();
      process.name = process_node.value("name", std::string());
      process.used_memory_mib = series(process_node, "used_memory_mib");
      process.sm_util = series(process_node, "sm_util");
      process.mem_util = series(process_node, "mem_util");
      process.gi = process_node.value("gi", -1L);
      process.ci = process_node.value("ci", 0U);
      process.from_tick = process_node.value("from_tick", 0L);
      process.to_tick =
          process_node.contains("to_tick") ? process_node.at("to_tick").get<long>() : LONG_MAX;
    }
    card.process_samples_per_tick = node.value("process_samples_per_tick", 1L);
    card.process_sample_epoch_us =
        node.value("process_sample_epoch_us", card.process_sample_epoch_us);
    card.process_sample_history = node.value("process_sample_history", 10L);
    for (const auto& layout_node : node.value("mig_layouts", nlohmann::json::array())) {
      Layout& layout = card.layouts.emplace_back();
      layout.from_tick = layout_node.value("from_tick", 0L);
      layout.mig_on = layout_node.value("mig", true);
      layout.max_devices = layout_node.value("max_devices", 7U);
      unsigned slot = 0;
      for (const auto& entry : layout_node.value("instances", nlohmann::json::array())) {
        layout.entries.push_back(parse_entry(entry, slot++));
      }
    }
    for (std::size_t l = 0; l < card.layouts.size(); ++l) {
      for (std::size_t e = 0; e < card.layouts[l].entries.size(); ++e) {
        card.layouts[l].handles.push_back(
            {card.handle.card, static_cast<int>(l), static_cast<int>(e)});
      }
    }
  }
  for (const auto& node : doc.value("errors", nlohmann::json::array())) {
    Rule rule;
    rule.call = node.at("call").get<std::string>();
    rule.device = node.value("device", -1);
    rule.code = node.at("code").get<int>();
    rule.from_tick = node.value("from_tick", 0L);
    rule.to_tick = node.contains("to_tick") ? node.at("to_tick").get<long>() : LONG_MAX;
    rule.after_calls = node.value("after_calls", 0L);
    rule.times = node.value("times", -1L);
    w.rules.push_back(rule);
  }
  w.loaded = true;
}

// The layout in force on `card` now; nullptr when the card has no MIG at all.
const Layout* active_layout(const Card& card, int* index = nullptr) {
  const Layout* found = nullptr;
  const long tick = current_tick();
  for (std::size_t i = 0; i < card.layouts.size(); ++i) {
    if (card.layouts[i].from_tick <= tick) {
      found = &card.layouts[i];
      if (index != nullptr) *index = static_cast<int>(i);
    }
  }
  return found;
}

// What a call is about: a card, and maybe one of its MIG devices.
struct Target {
  Card* card = nullptr;
  const MigEntry* mig = nullptr;
};

// Counts the call, checks initialization, the handle and the error rules. Returns the error the
// call must give, or kSuccess.
Return enter(const char* name, const void* handle, Target& target, int device_index = -1) {
  World& w = world();
  count_call(name);
  if (!w.initialized) return kUninitialized;
  int device = device_index;
  if (handle != nullptr) {
    const HandleObject* object = nullptr;
    for (Card& card : w.cards) {
      if (handle == &card.handle) object = &card.handle;
      for (const Layout& layout : card.layouts) {
        for (const HandleObject& mig : layout.handles) {
          if (handle == &mig) object = &mig;
        }
      }
    }
    if (object == nullptr) return kInvalidArgument;
    device = object->card;
    target.card = &w.cards[static_cast<std::size_t>(object->card)];
    if (object->layout >= 0) {
      // A MIG device stays valid while the layout in force still has its GPU and compute
      // instance; it then answers with that layout's values.
      const MigEntry& own = target.card->layouts[static_cast<std::size_t>(object->layout)]
                                .entries[static_cast<std::size_t>(object->entry)];
      const Layout* layout = active_layout(*target.card);
      for (std::size_t e = 0; layout != nullptr && layout->mig_on && e < layout->entries.size();
           ++e) {
        if (layout->entries[e].gi == own.gi && layout->entries[e].ci == own.ci) {
          target.mig = &layout->entries[e];
        }
      }
      if (target.mig == nullptr) return kInvalidArgument;  // its instance was destroyed
    }
  } else if (device_index >= 0 && static_cast<std::size_t>(device_index) < w.cards.size()) {
    target.card = &w.cards[static_cast<std::size_t>(device_index)];
  }
  const long tick = current_tick();
  for (Rule& rule : w.rules) {
    const bool call_matches = rule.call == name || (rule.call == "*" && device >= 0);
    const bool device_matches = rule.device < 0 || rule.device == device;
    if (!call_matches || !device_matches || tick < rule.from_tick || tick >= rule.to_tick) {
      continue;
    }
    ++rule.seen;
    if (rule.seen > rule.after_calls && (rule.times < 0 || rule.fired < rule.times)) {
      ++rule.fired;
      return rule.code;
    }
  }
  return kSuccess;
}

// Answers with a card-level value, refusing MIG handles as NVML does.
template <typename T>
Return card_value(const char* name, void* device, T* out, Series Card::*field, double scale = 1.0) {
  Target target;
  if (const Return error = enter(name, device, target); error != kSuccess) return error;
  if (out == nullptr) return kInvalidArgument;
  if (target.card == nullptr || target.mig != nullptr) return kNotSupported;
  const Series& values = target.card->*field;
  if (!values.present()) return kNotSupported;
  *out = static_cast<T>(std::llround(values.at(current_tick()) * scale));
  return kSuccess;
}

[[maybe_unused]] void copy_text(const std::string& text, char* out, unsigned length) {
  std::snprintf(out, length, "%s", text.c_str());
}

[[maybe_unused]] std::string mig_name(const Card& card, const MigEntry& entry) {
  std::string name = card.name + " MIG ";
  if (entry.ci_slices < entry.gi_slices) name += std::to_string(entry.ci_slices) + "c.";
  return name + entry.profile;
}

[[maybe_unused]] SampleObject* find_sample(void* pointer) {
  for (SampleObject& sample : world().samples) {
    if (pointer == &sample && sample.live) return &sample;
  }
  return nullptr;
}

}  // namespace

#define FAKE_EXPORT extern "C" __attribute__((visibility("default")))

// ---- test hooks -------------------------------------------------------------------------------

// Forgets everything; the scenario is read again by the next nvmlInit_v2.
FAKE_EXPORT void fake_nvml_reset() { world() = World{}; }
FAKE_EXPORT void fake_nvml_advance(long ticks) { world().manual_ticks += ticks; }
FAKE_EXPORT long fake_nvml_tick() { return current_tick(); }
FAKE_EXPORT unsigned long fake_nvml_calls(const char* name) {
  const auto found = world().calls.find(std::string_view(name));
  return found == world().calls.end() ? 0 : found->second;
}
FAKE_EXPORT long fake_nvml_live_samples() {
  long live = 0;
  for (const SampleObject& sample : world().samples) live += sample.live ? 1 : 0;
  return live;
}
FAKE_EXPORT int fake_nvml_initialized() { return world().initialized ? 1 : 0; }
// Every card's energy counter reads 0 now and counts on from there, as after a driver reload.
FAKE_EXPORT void fake_nvml_reset_energy_counters() {
  const long tick = current_tick();
  for (Card& card : world().cards) {
    if (!card.power_mw.present()) continue;
    double so_far_mj = 0.0;
    for (long t = 0; t < tick; ++t) so_far_mj += card.power_mw.at(t) * world().tick_seconds;
    card.energy_start_mj = -so_far_mj;
  }
}

// ---- required NVML functions ------------------------------------------------------------------

FAKE_EXPORT Return nvmlInit_v2() {
  World& w = world();
  count_call("nvmlInit_v2");
  if (!w.loaded) {
    try {
      load_scenario();
    } catch (const std::exception& error) {
      std::fprintf(stderr, "fake NVML: bad scenario: %s\n", error.what());
      w = World{};
      return kUnknown;
    }
  }
  for (Rule& rule : w.rules) {
    if (rule.call != "nvmlInit_v2") continue;
    const long tick = current_tick();
    if (tick < rule.from_tick || tick >= rule.to_tick) continue;
    ++rule.seen;
    if (rule.seen > rule.after_calls && (rule.times < 0 || rule.fired < rule.times)) {
      ++rule.fired;
      return rule.code;
    }
  }
  w.initialized = true;
  return kSuccess;
}

FAKE_EXPORT Return nvmlShutdown() {
  World& w = world();
  count_call("nvmlShutdown");
  if (!w.initialized) return kUninitialized;
  w.initialized = false;
  return kSuccess;
}

FAKE_EXPORT const char* nvmlErrorString(Return code) {
  switch (code) {
    case kSuccess:
      return "Success";
    case kNotSupported:
      return "Not Supported";
    case 4:
      return "Insufficient Permissions";
    case 15:
      return "GPU is lost";
    default:
      return "Fake NVML error";
  }
}

FAKE_EXPORT Return nvmlDeviceGetCount_v2(unsigned* count) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetCount_v2", nullptr, target); error != kSuccess) {
    return error;
  }
  *count = static_cast<unsigned>(world().cards.size());
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetHandleByIndex_v2(unsigned index, void** device) {
  Target target;
  if (const Return error =
          enter("nvmlDeviceGetHandleByIndex_v2", nullptr, target, static_cast<int>(index));
      error != kSuccess) {
    return error;
  }
  if (target.card == nullptr) return kInvalidArgument;
  *device = &target.card->handle;
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetUUID(void* device, char* uuid, unsigned length) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetUUID", device, target); error != kSuccess) {
    return error;
  }
  const std::string text = target.mig != nullptr ? "MIG-" + target.card->uuid.substr(4) + "-" +
                                                       std::to_string(target.mig->gi) + "-" +
                                                       std::to_string(target.mig->ci)
                                                 : target.card->uuid;
  if (length <= text.size()) return kInsufficientSize;
  copy_text(text, uuid, length);
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetPowerUsage(void* device, unsigned* milliwatts) {
  return card_value("nvmlDeviceGetPowerUsage", device, milliwatts, &Card::power_mw);
}

#ifndef FAKE_NVML_MINIMAL
// ---- optional NVML functions ------------------------------------------------------------------

FAKE_EXPORT Return nvmlSystemGetDriverVersion(char* version, unsigned length) {
  Target target;
  if (const Return error = enter("nvmlSystemGetDriverVersion", nullptr, target);
      error != kSuccess) {
    return error;
  }
  if (length <= world().driver_version.size()) return kInsufficientSize;
  copy_text(world().driver_version, version, length);
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetName(void* device, char* name, unsigned length) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetName", device, target); error != kSuccess) {
    return error;
  }
  const std::string text =
      target.mig != nullptr ? mig_name(*target.card, *target.mig) : target.card->name;
  if (length <= text.size()) return kInsufficientSize;
  copy_text(text, name, length);
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetFieldValues(void* device, int count, FieldValue* values) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetFieldValues", device, target); error != kSuccess) {
    return error;
  }
  if (count < 0 || (count > 0 && values == nullptr)) return kInvalidArgument;
  for (int i = 0; i < count; ++i) {
    FieldValue& field = values[i];
    constexpr unsigned kPowerInstant = 186;
    if (field.field_id == kPowerInstant && target.mig == nullptr &&
        target.card->instant_power_mw.present()) {
      field.value_type = 1;  // unsigned int
      field.value.ui =
          static_cast<unsigned>(std::llround(target.card->instant_power_mw.at(current_tick())));
      field.nvml_return = kSuccess;
    } else {
      field.nvml_return = kNotSupported;
    }
  }
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetTotalEnergyConsumption(void* device, unsigned long long* energy) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetTotalEnergyConsumption", device, target);
      error != kSuccess) {
    return error;
  }
  if (target.mig != nullptr || !target.card->power_mw.present()) return kNotSupported;
  // The counter grows by the power of every tick so far: mW x s = mJ.
  double total = target.card->energy_start_mj;
  const long tick = current_tick();
  for (long t = 0; t < tick; ++t) total += target.card->power_mw.at(t) * world().tick_seconds;
  *energy = static_cast<unsigned long long>(std::llround(total));
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetPowerManagementLimit(void* device, unsigned* limit) {
  return card_value("nvmlDeviceGetPowerManagementLimit", device, limit, &Card::power_limit_mw);
}

FAKE_EXPORT Return nvmlDeviceGetClockInfo(void* device, int type, unsigned* clock) {
  if (type == 1) return card_value("nvmlDeviceGetClockInfo", device, clock, &Card::sm_clock_mhz);
  if (type == 2) return card_value("nvmlDeviceGetClockInfo", device, clock, &Card::mem_clock_mhz);
  Target target;
  const Return error = enter("nvmlDeviceGetClockInfo", device, target);
  return error != kSuccess ? error : kInvalidArgument;
}

FAKE_EXPORT Return nvmlDeviceGetTemperature(void* device, int sensor, unsigned* temperature) {
  if (sensor != 0) return kInvalidArgument;
  return card_value("nvmlDeviceGetTemperature", device, temperature, &Card::temperature_c);
}

FAKE_EXPORT Return nvmlDeviceGetUtilizationRates(void* device, Utilization* utilization) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetUtilizationRates", device, target);
      error != kSuccess) {
    return error;
  }
  const Layout* layout = active_layout(*target.card);
  const bool mig_on = layout != nullptr && layout->mig_on;
  if (target.mig != nullptr || mig_on || !target.card->utilization_gpu.present()) {
    return kNotSupported;  // as NVML: no whole-card utilization with MIG on
  }
  utilization->gpu =
      static_cast<unsigned>(std::llround(target.card->utilization_gpu.at(current_tick())));
  utilization->memory = 0;
  return kSuccess;
}

namespace {
Return memory_used(const char* name, void* device, unsigned long long& total,
                   unsigned long long& used) {
  Target target;
  if (const Return error = enter(name, device, target); error != kSuccess) return error;
  constexpr double kMib = 1024.0 * 1024.0;
  if (target.mig != nullptr) {
    if (!target.mig->fb_used_mib.present()) return kNotSupported;
    total = static_cast<unsigned long long>(target.mig->memory_mib) * 1024ULL * 1024ULL;
    used = static_cast<unsigned long long>(target.mig->fb_used_mib.at(current_tick()) * kMib);
    return kSuccess;
  }
  if (!target.card->memory_used_mib.present()) return kNotSupported;
  total = target.card->memory_total_mib * 1024ULL * 1024ULL;
  used = static_cast<unsigned long long>(target.card->memory_used_mib.at(current_tick()) * kMib);
  return kSuccess;
}
}  // namespace

FAKE_EXPORT Return nvmlDeviceGetMemoryInfo(void* device, Memory* memory) {
  unsigned long long total = 0;
  unsigned long long used = 0;
  const Return code = memory_used("nvmlDeviceGetMemoryInfo", device, total, used);
  if (code != kSuccess) return code;
  *memory = Memory{total, total - used, used};
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetMemoryInfo_v2(void* device, MemoryV2* memory) {
  if (memory == nullptr || memory->version != kMemoryV2Version) {
    count_call("nvmlDeviceGetMemoryInfo_v2");
    return kArgumentVersionMismatch;
  }
  unsigned long long total = 0;
  unsigned long long used = 0;
  const Return code = memory_used("nvmlDeviceGetMemoryInfo_v2", device, total, used);
  if (code != kSuccess) return code;
  memory->total = total;
  memory->reserved = 0;
  memory->used = used;
  memory->free = total - used;
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetMigMode(void* device, unsigned* current, unsigned* pending) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetMigMode", device, target); error != kSuccess) {
    return error;
  }
  if (target.mig != nullptr || !target.card->mig_capable) return kNotSupported;
  const Layout* layout = active_layout(*target.card);
  *current = layout != nullptr && layout->mig_on ? 1 : 0;
  *pending = *current;
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetMaxMigDeviceCount(void* device, unsigned* count) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetMaxMigDeviceCount", device, target);
      error != kSuccess) {
    return error;
  }
  if (target.mig != nullptr || !target.card->mig_capable) return kNotSupported;
  const Layout* layout = active_layout(*target.card);
  *count = layout != nullptr ? layout->max_devices : 0;
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetMigDeviceHandleByIndex(void* device, unsigned index, void** mig) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetMigDeviceHandleByIndex", device, target);
      error != kSuccess) {
    return error;
  }
  if (target.mig != nullptr || !target.card->mig_capable) return kNotSupported;
  int layout_index = -1;
  const Layout* layout = active_layout(*target.card, &layout_index);
  if (layout == nullptr || !layout->mig_on) return kNotFound;
  for (std::size_t e = 0; e < layout->entries.size(); ++e) {
    if (layout->entries[e].slot == index) {
      *mig = const_cast<HandleObject*>(&layout->handles[e]);
      return kSuccess;
    }
  }
  return kNotFound;  // an empty slot
}

FAKE_EXPORT Return nvmlDeviceGetGpuInstanceId(void* device, unsigned* id) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetGpuInstanceId", device, target); error != kSuccess) {
    return error;
  }
  if (target.mig == nullptr) return kInvalidArgument;
  *id = target.mig->gi;
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetComputeInstanceId(void* device, unsigned* id) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetComputeInstanceId", device, target);
      error != kSuccess) {
    return error;
  }
  if (target.mig == nullptr) return kInvalidArgument;
  *id = target.mig->ci;
  return kSuccess;
}

FAKE_EXPORT Return nvmlDeviceGetAttributes_v2(void* device, DeviceAttributes* attributes) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetAttributes_v2", device, target); error != kSuccess) {
    return error;
  }
  if (target.mig == nullptr) return kNotSupported;  // NVML: MIG device handles only
  *attributes = DeviceAttributes{};
  attributes->multiprocessor_count = target.mig->sms;
  attributes->gpu_instance_slice_count = target.mig->gi_slices;
  attributes->compute_instance_slice_count = target.mig->ci_slices;
  attributes->memory_size_mib = target.mig->memory_mib;
  return kSuccess;
}

FAKE_EXPORT Return nvmlGpmQueryDeviceSupport(void* device, GpmSupport* support) {
  Target target;
  if (const Return error = enter("nvmlGpmQueryDeviceSupport", device, target); error != kSuccess) {
    return error;
  }
  if (support == nullptr || support->version != 1) return kArgumentVersionMismatch;
  support->is_supported_device = target.card->gpm_supported ? 1 : 0;
  return kSuccess;
}

FAKE_EXPORT Return nvmlGpmSampleAlloc(void** sample) {
  Target target;
  if (const Return error = enter("nvmlGpmSampleAlloc", nullptr, target); error != kSuccess) {
    return error;
  }
  SampleObject& object = world().samples.emplace_back();
  object.live = true;
  *sample = &object;
  return kSuccess;
}

FAKE_EXPORT Return nvmlGpmSampleFree(void* sample) {
  count_call("nvmlGpmSampleFree");
  SampleObject* object = find_sample(sample);
  if (object == nullptr) return kInvalidArgument;
  object->live = false;
  return kSuccess;
}

namespace {
Return take_sample(const char* name, void* device, long gi, void* sample) {
  Target target;
  if (const Return error = enter(name, device, target); error != kSuccess) return error;
  SampleObject* object = find_sample(sample);
  if (object == nullptr || target.mig != nullptr) return kInvalidArgument;
  if (!target.card->gpm_supported) return kNotSupported;
  if (gi >= 0) {
    const Layout* layout = active_layout(*target.card);
    bool exists = false;
    for (std::size_t e = 0; layout != nullptr && e < layout->entries.size(); ++e) {
      exists = exists || static_cast<long>(layout->entries[e].gi) == gi;
    }
    if (layout == nullptr || !layout->mig_on || !exists) return kInvalidArgument;
  }
  object->taken = true;
  object->card = target.card->handle.card;
  object->gi = gi;
  object->tick = current_tick();
  return kSuccess;
}
}  // namespace

FAKE_EXPORT Return nvmlGpmSampleGet(void* device, void* sample) {
  return take_sample("nvmlGpmSampleGet", device, -1, sample);
}

FAKE_EXPORT Return nvmlGpmMigSampleGet(void* device, unsigned gpu_instance_id, void* sample) {
  return take_sample("nvmlGpmMigSampleGet", device, static_cast<long>(gpu_instance_id), sample);
}

FAKE_EXPORT Return nvmlGpmMetricsGet(GpmMetricsGet* request) {
  Target target;
  const SampleObject* first = request != nullptr ? find_sample(request->sample1) : nullptr;
  const SampleObject* second = request != nullptr ? find_sample(request->sample2) : nullptr;
  const int device = second != nullptr ? second->card : -1;
  if (const Return error = enter("nvmlGpmMetricsGet", nullptr, target, device); error != kSuccess) {
    return error;
  }
  if (request == nullptr || request->version != 1) return kArgumentVersionMismatch;
  if (request->num_metrics > kGpmMetricMax || first == nullptr || second == nullptr ||
      !first->taken || !second->taken || first == second || first->card != second->card ||
      first->gi != second->gi) {
    return kInvalidArgument;
  }
  const Card& card = world().cards[static_cast<std::size_t>(second->card)];
  const std::map<unsigned, Series>* metrics = &card.gpm;
  if (second->gi >= 0) {
    metrics = nullptr;
    for (const Layout& layout : card.layouts) {
      for (const MigEntry& entry : layout.entries) {
        if (static_cast<long>(entry.gi) == second->gi && layout.from_tick <= second->tick) {
          metrics = &entry.gpm;
        }
      }
    }
    if (metrics == nullptr) return kInvalidArgument;
  }
  for (unsigned i = 0; i < request->num_metrics; ++i) {
    GpmMetric& metric = request->metrics[i];
    const auto found = metrics->find(metric.metric_id);
    if (found == metrics->end()) {
      metric.nvml_return = kNotSupported;
      continue;
    }
    metric.nvml_return = kSuccess;
    metric.value = found->second.at(second->tick);
  }
  return kSuccess;
}

// Without MIG every process of the card; on the card's handle with MIG on every process with its
// instance ids (NVML's privileged aggregate view); on a MIG device the processes of its GPU and
// compute instance.
FAKE_EXPORT Return nvmlDeviceGetComputeRunningProcesses_v3(void* device, unsigned* count,
                                                           ProcessInfo* infos) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetComputeRunningProcesses_v3", device, target);
      error != kSuccess) {
    return error;
  }
  if (count == nullptr || (*count > 0 && infos == nullptr)) return kInvalidArgument;
  const long tick = current_tick();
  const Layout* layout = active_layout(*target.card);
  const bool mig_on = layout != nullptr && layout->mig_on;
  std::vector<ProcessInfo> found;
  for (const Process& process : target.card->processes) {
    if (!process.alive(tick)) continue;
    if (target.mig != nullptr &&
        (process.gi != static_cast<long>(target.mig->gi) || process.ci != target.mig->ci)) {
      continue;
    }
    ProcessInfo info{};
    info.pid = process.pid;
    info.used_gpu_memory =
        process.used_memory_mib.present()
            ? static_cast<unsigned long long>(process.used_memory_mib.at(tick) * 1024.0 * 1024.0)
            : ~0ULL;
    info.gpu_instance_id = mig_on ? static_cast<unsigned>(process.gi) : 0xFFFFFFFFU;
    info.compute_instance_id = mig_on ? process.ci : 0xFFFFFFFFU;
    found.push_back(info);
  }
  if (*count < found.size()) {
    *count = static_cast<unsigned>(found.size());
    return kInsufficientSize;
  }
  std::copy(found.begin(), found.end(), infos);
  *count = static_cast<unsigned>(found.size());
  return kSuccess;
}

// The samples the driver holds that are newer than `last_seen`: per tick of the history,
// `process_samples_per_tick` samples of every process alive then and busy (NVML leaves out idle
// processes); sample j of tick t reads the process's lists at t * per_tick + j.
FAKE_EXPORT Return nvmlDeviceGetProcessUtilization(void* device,
                                                   ProcessUtilizationSample* utilization,
                                                   unsigned* count, unsigned long long last_seen) {
  Target target;
  if (const Return error = enter("nvmlDeviceGetProcessUtilization", device, target);
      error != kSuccess) {
    return error;
  }
  if (count == nullptr) return kInvalidArgument;
  const Layout* layout = active_layout(*target.card);
  if (target.mig != nullptr || (layout != nullptr && layout->mig_on)) return kNotSupported;
  const Card& card = *target.card;
  const long now = current_tick();
  const long per_tick = std::max(card.process_samples_per_tick, 1L);
  const double tick_us = world().tick_seconds * 1e6;
  std::vector<ProcessUtilizationSample> found;
  for (long tick = std::max(0L, now - card.process_sample_history + 1); tick <= now; ++tick) {
    for (long j = 0; j < per_tick; ++j) {
      const auto stamp =
          card.process_sample_epoch_us +
          static_cast<unsigned long long>(std::llround(
              (static_cast<double>(tick) + static_cast<double>(j) / static_cast<double>(per_tick)) *
              tick_us));
      if (stamp <= last_seen) continue;
      for (const Process& process : card.processes) {
        if (!process.alive(tick)) continue;
        const long index = tick * per_tick + j;
        const auto sm = static_cast<unsigned>(
            process.sm_util.present() ? std::llround(process.sm_util.at(index)) : 0);
        const auto mem = static_cast<unsigned>(
            process.mem_util.present() ? std::llround(process.mem_util.at(index)) : 0);
        if (sm == 0 && mem == 0) continue;
        found.push_back({process.pid, stamp, sm, mem, 0, 0});
      }
    }
  }
  if (found.empty()) return kNotFound;
  if (utilization == nullptr || *count < found.size()) {
    *count = static_cast<unsigned>(found.size());
    return kInsufficientSize;
  }
  std::copy(found.begin(), found.end(), utilization);
  *count = static_cast<unsigned>(found.size());
  return kSuccess;
}

FAKE_EXPORT Return nvmlSystemGetProcessName(unsigned pid, char* name, unsigned length) {
  Target target;
  if (const Return error = enter("nvmlSystemGetProcessName", nullptr, target); error != kSuccess) {
    return error;
  }
  if (name == nullptr || length == 0) return kInvalidArgument;
  const long tick = current_tick();
  for (const Card& card : world().cards) {
    for (const Process& process : card.processes) {
      if (process.pid == pid && process.alive(tick)) {
        copy_text(process.name, name, length);  // cropped to the buffer, as NVML does
        return kSuccess;
      }
    }
  }
  return kNotFound;
}
#endif  // FAKE_NVML_MINIMAL
