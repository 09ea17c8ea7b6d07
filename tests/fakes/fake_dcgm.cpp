// A fake DCGM library for tests: a shared object exporting the DCGM functions migpower calls,
// so DcgmSource's real dlopen path, discovery, watches and error handling run without a GPU.
//
// It is driven by a JSON scenario named by MIGPOWER_FAKE_DCGM_SCENARIO, read at dcgmInit:
//
//   {
//     "host_engines": ["localhost"],           // addresses dcgmConnect accepts
//     "errors": {"dcgmWatchFields.profiling": -36,        // a call's return code, always or
//                "dcgmEntitiesGetLatestValues": {"code": -21, "from_step": 2, "to_step": 3}},
//     "gpus": [{"uuid": "GPU-...", "name": "NVIDIA A100-SXM4-40GB", "mig": true,
//               "values": {"155": [210.5, 230], "156": 1000, "150": "not_supported"},
//               "instances": [{"gi_id": 1, "profile": "3g.20gb", "profile_id": 2, "slices": 3,
//                              "compute_instances": [0], "from_step": 0, "to_step": 9,
//                              "values": {"1001": [0.5, 0.75], "252": 1024}}]}]
//   }
//
// A value is a number, a blank sentinel by name ("blank", "not_found", "not_supported",
// "no_permission"), {"status": code}, or a list of those indexed by the step (the last one
// repeats). Steps advance when a test calls fakeDcgmAdvance(), DCGM's update cycle having run.
// "dcgmWatchFields.profiling" fails only watches whose fields include a DCGM_FI_PROF_* field.
//
// The DCGM types below are declared here again, independently of src/sources/dcgm/dcgm_api.hpp,
// from the public header's layout, so a mistake there shows up as a version mismatch here.

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace {

using json = nlohmann::json;

constexpr int kOk = 0;
constexpr int kBadParam = -1;
constexpr int kNotConfigured = -5;
constexpr int kInitError = -7;
constexpr int kUninitialized = -10;
constexpr int kVersionMismatch = -12;
constexpr int kNotWatched = -16;
constexpr int kConnectionNotValid = -21;
constexpr int kMaxLimit = -24;
constexpr int kDuplicateKey = -26;
constexpr int kInstanceNotFound = -45;

constexpr int kFeGpu = 1;
constexpr int kFeGpuI = 4;
constexpr int kFeGpuCi = 5;
constexpr std::uintptr_t kEmbeddedHandle = 0x7fffffff;  // DCGM_EMBEDDED_HANDLE
constexpr unsigned kLiveData = 1;

constexpr std::int64_t kInt64Blank = 0x7ffffffffffffff0;
constexpr double kFp64Blank = 140737488355328.0;

struct Pair {
  int group;
  unsigned id;
};
struct MigEntityInfo {
  char gpu_uuid[128];
  unsigned nvml_gpu_index;
  unsigned nvml_instance_id;
  unsigned nvml_compute_instance_id;
  unsigned nvml_mig_profile_id;
  unsigned nvml_profile_slices;
};
struct HierarchyInfo {
  Pair entity;
  Pair parent;
  MigEntityInfo info;
};
struct Hierarchy {
  unsigned version;
  unsigned count;
  HierarchyInfo list[32 * 14];
};
struct Value {
  unsigned version;
  int entity_group;
  unsigned entity_id;
  unsigned short field_id;
  unsigned short field_type;
  int status;
  unsigned unused;
  std::int64_t ts;
  union {
    std::int64_t i64;
    double dbl;
    char str[256];
    char blob[4096];
  } value;
};
constexpr unsigned kHierarchyVersion = static_cast<unsigned>(sizeof(Hierarchy)) | (2U << 24U);
constexpr unsigned kValueVersion = static_cast<unsigned>(sizeof(Value)) | (2U << 24U);

struct Instance {
  unsigned entity_id = 0;
  unsigned gi_id = 0;
  std::string profile;
  unsigned profile_id = 0;
  unsigned slices = 0;
  std::vector<unsigned> compute_instances;
  int from_step = 0;
  int to_step = INT_MAX;
  json values = json::object();
};

struct Gpu {
  std::string uuid;
  std::string name;
  bool mig = false;
  json values = json::object();
  std::vector<Instance> instances;
};

struct Watch {
  std::uintptr_t group;
  std::uintptr_t fields;
  bool updated = false;  // DCGM has sampled since the watch began
};

struct World {
  bool initialized = false;
  std::uintptr_t handle = 0;  // 0: not connected
  std::vector<std::string> host_engines;
  json errors = json::object();
  std::vector<Gpu> gpus;
  int step = 0;
  std::map<std::uintptr_t, std::vector<Pair>> groups;
  std::map<std::uintptr_t, std::pair<std::string, std::vector<unsigned short>>> field_groups;
  std::vector<Watch> watches;
  std::uintptr_t next_id = 1;
  std::map<std::string, int> calls;
  long long last_watch_us = 0;
  double last_keep_age_s = 0.0;
  std::string last_address;
};

World& world() {
  static World w;
  return w;
}

void count(const char* name) { ++world().calls[name]; }

// The injected return code of `key` at the current step, if any.
std::optional<int> injected(const std::string& key) {
  const World& w = world();
  const auto it = w.errors.find(key);
  if (it == w.errors.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int>();
  const int from = it->value("from_step", 0);
  const int to = it->value("to_step", INT_MAX);
  if (w.step < from || w.step > to) return std::nullopt;
  return it->at("code").get<int>();
}

bool alive(const Instance& instance) {
  return world().step >= instance.from_step && world().step <= instance.to_step;
}

bool load_scenario() {
  World& w = world();
  const char* path = std::getenv("MIGPOWER_FAKE_DCGM_SCENARIO");
  if (path == nullptr) {
    std::fprintf(stderr, "fake_dcgm: MIGPOWER_FAKE_DCGM_SCENARIO is not set\n");
    return false;
  }
  std::ifstream in(path);
  if (!in) {
    std::fprintf(stderr, "fake_dcgm: cannot open %s\n", path);
    return false;
  }
  try {
    const json scenario = json::parse(in);
    w.host_engines = scenario.value("host_engines", std::vector<std::string>{"localhost"});
    w.errors = scenario.value("errors", json::object());
    w.gpus.clear();
    unsigned gpu_index = 0;
    for (const json& g : scenario.at("gpus")) {
      Gpu gpu;
      gpu.uuid = g.value("uuid", "GPU-fake-" + std::to_string(gpu_index));
      gpu.name = g.value("name", std::string("NVIDIA A100-SXM4-40GB"));
      gpu.values = g.value("values", json::object());
      unsigned position = 0;
      for (const json& i : g.value("instances", json::array())) {
        Instance instance;
        instance.entity_id = i.value("entity_id", gpu_index * 8 + position);
        instance.gi_id = i.at("gi_id").get<unsigned>();
        instance.profile = i.value("profile", std::string());
        instance.profile_id = i.value("profile_id", 0U);
        instance.slices = i.value("slices", 0U);
        instance.compute_instances = i.value("compute_instances", std::vector<unsigned>{0});
        instance.from_step = i.value("from_step", 0);
        instance.to_step = i.value("to_step", INT_MAX);
        instance.values = i.value("values", json::object());
        gpu.instances.push_back(std::move(instance));
        ++position;
      }
      gpu.mig = g.value("mig", !gpu.instances.empty());
      w.gpus.push_back(std::move(gpu));
      ++gpu_index;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake_dcgm: bad scenario %s: %s\n", path, e.what());
    return false;
  }
  return true;
}

void forget_objects() {
  World& w = world();
  w.groups.clear();
  w.field_groups.clear();
  w.watches.clear();
}

bool entity_exists(const Pair& entity) {
  const World& w = world();
  if (entity.group == kFeGpu) return entity.id < w.gpus.size();
  if (entity.group == kFeGpuI) {
    for (const Gpu& gpu : w.gpus) {
      for (const Instance& instance : gpu.instances) {
        if (instance.entity_id == entity.id && alive(instance)) return true;
      }
    }
  }
  return false;
}

char field_type(unsigned short id) {
  if (id == 50 || id == 54) return 's';
  if (id == 155 || id == 157 || id == 160 || (id >= 1001 && id <= 1008)) return 'd';
  return 'i';
}

// 0: watched and sampled; kNotWatched; or 1: watched, not sampled yet.
int watch_state(const Pair& entity, unsigned short field) {
  const World& w = world();
  int state = kNotWatched;
  for (const Watch& watch : w.watches) {
    const auto group = w.groups.find(watch.group);
    const auto fields = w.field_groups.find(watch.fields);
    if (group == w.groups.end() || fields == w.field_groups.end()) continue;
    bool has_entity = false;
    for (const Pair& p : group->second) {
      if (p.group == entity.group && p.id == entity.id) has_entity = true;
    }
    bool has_field = false;
    for (const unsigned short f : fields->second.second) has_field = has_field || f == field;
    if (has_entity && has_field) {
      if (watch.updated) return 0;
      state = 1;
    }
  }
  return state;
}

void set_blank(Value& out, std::int64_t offset) {
  if (out.field_type == 'd') {
    out.value.dbl = kFp64Blank + static_cast<double>(offset);
  } else if (out.field_type == 's') {
    static const char* const kTexts[] = {"<<<NULL>>>", "<<<NOT_FOUND>>>", "<<<NOT_SUPPORTED>>>",
                                         "<<<NOT_PERM>>>"};
    std::snprintf(out.value.str, sizeof(out.value.str), "%s", kTexts[offset]);
  } else {
    out.value.i64 = kInt64Blank + offset;
  }
}

void set_spec(Value& out, const json& spec) {
  const json* s = &spec;
  if (spec.is_array()) {
    if (spec.empty()) return set_blank(out, 0);
    const auto index =
        std::min<std::size_t>(static_cast<std::size_t>(world().step), spec.size() - 1);
    s = &spec[index];
  }
  if (s->is_object()) {
    out.status = s->at("status").get<int>();
    return set_blank(out, 0);
  }
  if (s->is_string()) {
    const std::string name = s->get<std::string>();
    if (out.field_type == 's' && name.rfind("<<<", 0) != 0 && name != "blank" &&
        name != "not_found" && name != "not_supported" && name != "no_permission") {
      std::snprintf(out.value.str, sizeof(out.value.str), "%s", name.c_str());
      return;
    }
    return set_blank(out, name == "not_found"       ? 1
                          : name == "not_supported" ? 2
                          : name == "no_permission" ? 3
                                                    : 0);
  }
  if (out.field_type == 'd') {
    out.value.dbl = s->get<double>();
  } else {
    out.value.i64 = s->get<std::int64_t>();
  }
}

void fill_value(const Pair& entity, unsigned short field, unsigned flags, Value& out) {
  const World& w = world();
  std::memset(&out, 0, sizeof(out));
  out.version = kValueVersion;
  out.entity_group = entity.group;
  out.entity_id = entity.id;
  out.field_id = field;
  out.field_type = static_cast<unsigned short>(field_type(field));
  out.ts = 1767225600000000LL + static_cast<std::int64_t>(w.step) * 1000000LL;
  const json* values = nullptr;
  std::optional<std::string> default_text;
  std::optional<std::int64_t> default_int;
  if (entity.group == kFeGpu && entity.id < w.gpus.size()) {
    const Gpu& gpu = w.gpus[entity.id];
    values = &gpu.values;
    if (field == 50) default_text = gpu.name;
    if (field == 54) default_text = gpu.uuid;
    if (field == 67) default_int = gpu.mig ? 1 : 0;
  } else if (entity.group == kFeGpuI) {
    for (const Gpu& gpu : w.gpus) {
      for (const Instance& instance : gpu.instances) {
        if (instance.entity_id == entity.id && alive(instance)) {
          values = &instance.values;
          if (field == 50) default_text = instance.profile;
        }
      }
    }
    if (values == nullptr) {
      out.status = kInstanceNotFound;
      return set_blank(out, 1);
    }
  }
  if (values == nullptr) {
    out.status = kBadParam;
    return set_blank(out, 1);
  }
  if ((flags & kLiveData) == 0) {
    const int state = watch_state(entity, field);
    if (state == kNotWatched) {
      out.status = kNotWatched;
      return set_blank(out, 0);
    }
    if (state == 1) return set_blank(out, 0);  // no sample yet
  }
  const auto spec = values->find(std::to_string(field));
  if (spec != values->end()) return set_spec(out, *spec);
  if (default_text) {
    std::snprintf(out.value.str, sizeof(out.value.str), "%s", default_text->c_str());
    return;
  }
  if (default_int) {
    out.value.i64 = *default_int;
    return;
  }
  set_blank(out, 2);  // a field the scenario does not give: not supported
}

#define FAKE_CHECK(name)                              \
  count(name);                                        \
  if (const auto code = injected(name)) return *code; \
  if (!world().initialized) return kUninitialized

#define FAKE_CHECK_HANDLE(name, handle) \
  FAKE_CHECK(name);                     \
  if ((handle) == 0 || (handle) != world().handle) return kConnectionNotValid

}  // namespace

extern "C" {

int dcgmInit() {
  World& w = world();
  forget_objects();
  w.handle = 0;
  w.step = 0;
  ++w.calls["dcgmInit"];
  if (!load_scenario()) return kInitError;
  // The scenario may inject dcgmInit's failure only once it is read.
  if (const auto code = injected("dcgmInit")) return *code;
  w.initialized = true;
  return kOk;
}

int dcgmShutdown() {
  count("dcgmShutdown");
  World& w = world();
  if (!w.initialized) return kUninitialized;
  forget_objects();
  w.handle = 0;
  w.initialized = false;
  return kOk;
}

int dcgmStartEmbedded(int mode, std::uintptr_t* handle) {
  FAKE_CHECK("dcgmStartEmbedded");
  if (handle == nullptr || (mode != 1 && mode != 2)) return kBadParam;
  world().handle = kEmbeddedHandle;
  *handle = kEmbeddedHandle;
  return kOk;
}

int dcgmStopEmbedded(std::uintptr_t handle) {
  FAKE_CHECK("dcgmStopEmbedded");
  if (handle != kEmbeddedHandle) return kBadParam;
  forget_objects();  // the engine and everything in it stop
  world().handle = 0;
  return kOk;
}

int dcgmConnect(const char* address, std::uintptr_t* handle) {
  FAKE_CHECK("dcgmConnect");
  if (address == nullptr || handle == nullptr) return kBadParam;
  World& w = world();
  w.last_address = address;
  bool known = false;
  for (const std::string& engine : w.host_engines) known = known || engine == address;
  if (!known) return kConnectionNotValid;  // what DCGM answers when nothing listens there
  forget_objects();                        // a (re)started host engine knows no groups
  w.handle = w.next_id++ + 1000;
  *handle = w.handle;
  return kOk;
}

int dcgmDisconnect(std::uintptr_t handle) {
  FAKE_CHECK("dcgmDisconnect");
  if (handle != world().handle) return kBadParam;
  forget_objects();
  world().handle = 0;
  return kOk;
}

const char* errorString(int code) {
  switch (code) {
    case kConnectionNotValid:
      return "fake: connection not valid";
    case -36:
      return "fake: profiling not supported";
    default:
      return "fake: error";
  }
}

int dcgmGetAllSupportedDevices(std::uintptr_t handle, unsigned* ids, int* out_count) {
  FAKE_CHECK_HANDLE("dcgmGetAllSupportedDevices", handle);
  if (ids == nullptr || out_count == nullptr) return kBadParam;
  const World& w = world();
  *out_count = static_cast<int>(std::min<std::size_t>(w.gpus.size(), 32));
  for (int i = 0; i < *out_count; ++i) ids[i] = static_cast<unsigned>(i);
  return kOk;
}

int dcgmGetGpuInstanceHierarchy(std::uintptr_t handle, Hierarchy* hierarchy) {
  FAKE_CHECK_HANDLE("dcgmGetGpuInstanceHierarchy", handle);
  if (hierarchy == nullptr) return kBadParam;
  if (hierarchy->version != kHierarchyVersion) return kVersionMismatch;
  const World& w = world();
  unsigned n = 0;
  for (unsigned g = 0; g < w.gpus.size(); ++g) {
    const Gpu& gpu = w.gpus[g];
    for (const Instance& instance : gpu.instances) {
      if (!alive(instance)) continue;
      HierarchyInfo& gi = hierarchy->list[n++];
      std::memset(&gi, 0, sizeof(gi));
      gi.entity = {kFeGpuI, instance.entity_id};
      gi.parent = {kFeGpu, g};
      std::snprintf(gi.info.gpu_uuid, sizeof(gi.info.gpu_uuid), "%s", gpu.uuid.c_str());
      gi.info.nvml_gpu_index = g;
      gi.info.nvml_instance_id = instance.gi_id;
      gi.info.nvml_compute_instance_id = UINT_MAX;
      gi.info.nvml_mig_profile_id = instance.profile_id;
      gi.info.nvml_profile_slices = instance.slices;
      for (const unsigned ci : instance.compute_instances) {
        HierarchyInfo& c = hierarchy->list[n++];
        std::memset(&c, 0, sizeof(c));
        c.entity = {kFeGpuCi, instance.entity_id * 8 + ci};
        c.parent = gi.entity;
        c.info = gi.info;
        c.info.nvml_compute_instance_id = ci;
      }
    }
  }
  hierarchy->count = n;
  return kOk;
}

int dcgmGroupCreate(std::uintptr_t handle, int type, const char* name, std::uintptr_t* group) {
  FAKE_CHECK_HANDLE("dcgmGroupCreate", handle);
  if (name == nullptr || group == nullptr || type != 1) return kBadParam;
  World& w = world();
  if (w.groups.size() >= 64) return kMaxLimit;
  *group = w.next_id++;
  w.groups[*group] = {};
  return kOk;
}

int dcgmGroupAddEntity(std::uintptr_t handle, std::uintptr_t group, int entity_group,
                       unsigned entity_id) {
  FAKE_CHECK_HANDLE("dcgmGroupAddEntity", handle);
  World& w = world();
  const auto it = w.groups.find(group);
  if (it == w.groups.end()) return kNotConfigured;
  const Pair entity{entity_group, entity_id};
  if (!entity_exists(entity)) return kBadParam;
  for (const Pair& p : it->second) {
    if (p.group == entity.group && p.id == entity.id) return kBadParam;
  }
  it->second.push_back(entity);
  return kOk;
}

int dcgmGroupDestroy(std::uintptr_t handle, std::uintptr_t group) {
  FAKE_CHECK_HANDLE("dcgmGroupDestroy", handle);
  World& w = world();
  if (w.groups.erase(group) == 0) return kNotConfigured;
  return kOk;
}

int dcgmFieldGroupCreate(std::uintptr_t handle, int n, const unsigned short* ids, const char* name,
                         std::uintptr_t* out) {
  FAKE_CHECK_HANDLE("dcgmFieldGroupCreate", handle);
  if (n < 1 || n > 128 || ids == nullptr || name == nullptr || out == nullptr) return kBadParam;
  World& w = world();
  for (const auto& [id, group] : w.field_groups) {
    if (group.first == name) return kDuplicateKey;
  }
  *out = w.next_id++;
  w.field_groups[*out] = {name, std::vector<unsigned short>(ids, ids + n)};
  return kOk;
}

int dcgmFieldGroupDestroy(std::uintptr_t handle, std::uintptr_t fields) {
  FAKE_CHECK_HANDLE("dcgmFieldGroupDestroy", handle);
  if (world().field_groups.erase(fields) == 0) return kBadParam;
  return kOk;
}

int dcgmWatchFields(std::uintptr_t handle, std::uintptr_t group, std::uintptr_t fields,
                    long long update_us, double keep_age_s, int keep_samples) {
  FAKE_CHECK_HANDLE("dcgmWatchFields", handle);
  World& w = world();
  const auto field_group = w.field_groups.find(fields);
  if (w.groups.find(group) == w.groups.end()) return kNotConfigured;
  if (field_group == w.field_groups.end()) return kBadParam;
  if (update_us <= 0 || keep_age_s < 0.0 || keep_samples < 0) return kBadParam;
  bool profiling = false;
  for (const unsigned short id : field_group->second.second) profiling = profiling || id >= 1001;
  if (profiling) {
    if (const auto code = injected("dcgmWatchFields.profiling")) return *code;
  }
  w.last_watch_us = update_us;
  w.last_keep_age_s = keep_age_s;
  w.watches.push_back({group, fields, false});
  return kOk;
}

int dcgmUnwatchFields(std::uintptr_t handle, std::uintptr_t group, std::uintptr_t fields) {
  FAKE_CHECK_HANDLE("dcgmUnwatchFields", handle);
  World& w = world();
  for (auto it = w.watches.begin(); it != w.watches.end(); ++it) {
    if (it->group == group && it->fields == fields) {
      w.watches.erase(it);
      return kOk;
    }
  }
  return kNotWatched;
}

int dcgmUpdateAllFields(std::uintptr_t handle, int /*wait*/) {
  FAKE_CHECK_HANDLE("dcgmUpdateAllFields", handle);
  for (Watch& watch : world().watches) watch.updated = true;
  return kOk;
}

int dcgmEntitiesGetLatestValues(std::uintptr_t handle, Pair* entities, unsigned entity_count,
                                unsigned short* fields, unsigned field_count, unsigned flags,
                                Value* values) {
  FAKE_CHECK_HANDLE("dcgmEntitiesGetLatestValues", handle);
  if (entities == nullptr || fields == nullptr || values == nullptr) return kBadParam;
  const std::size_t total = static_cast<std::size_t>(entity_count) * field_count;
  for (std::size_t e = 0; e < entity_count; ++e) {
    if (values[e * field_count].version != kValueVersion) return kVersionMismatch;
  }
  // DCGM does not promise any order: answer backwards, so callers must match by entity and field.
  std::size_t k = total;
  for (unsigned e = 0; e < entity_count; ++e) {
    for (unsigned f = 0; f < field_count; ++f)
      fill_value(entities[e], fields[f], flags, values[--k]);
  }
  return kOk;
}

// Test hooks.
void fakeDcgmResetCalls() { world().calls.clear(); }
void fakeDcgmAdvance() {
  ++world().step;
  for (Watch& watch : world().watches) watch.updated = true;  // DCGM's update cycle ran
}
int fakeDcgmStep() { return world().step; }
int fakeDcgmCalls(const char* name) {
  const auto it = world().calls.find(name);
  return it == world().calls.end() ? 0 : it->second;
}
// Groups, field groups and watches alive in the host engine: 0 after a clean teardown.
int fakeDcgmLiveObjects() {
  const World& w = world();
  return static_cast<int>(w.groups.size() + w.field_groups.size() + w.watches.size());
}
long long fakeDcgmLastWatchUs() { return world().last_watch_us; }
double fakeDcgmLastKeepAgeS() { return world().last_keep_age_s; }
const char* fakeDcgmLastAddress() { return world().last_address.c_str(); }

}  // extern "C"
