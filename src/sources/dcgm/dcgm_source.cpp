#include "sources/dcgm/dcgm_source.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include "core/catalog.hpp"
#include "core/fields.hpp"
#include "sources/dcgm/dcgm_api.hpp"
#include "sources/interval_pacer.hpp"
#include "sources/source_events.hpp"

namespace migpower {
namespace {

using dcgm::EntityPair;
using dcgm::FieldValue;
using dcgm::Return;

// The card's fields, watched on the GPU entity, in the order of their slots.
enum CardSlot : std::size_t { kPower, kEnergy, kSmClock, kMemClock, kTemperature, kPowerLimit };
constexpr std::size_t kCardSlotCount = 6;
constexpr std::array<unsigned short, kCardSlotCount> kCardFieldIds = {
    dcgm::field_id::kPowerUsage, dcgm::field_id::kTotalEnergy, dcgm::field_id::kSmClock,
    dcgm::field_id::kMemClock,   dcgm::field_id::kGpuTemp,     dcgm::field_id::kPowerMgmtLimit,
};
constexpr std::array<std::string_view, kCardSlotCount> kCardFieldNames = {
    field::kPower,    field::kEnergy,  field::kSmClock,
    field::kMemClock, field::kGpuTemp, field::kPowerLimit,
};

// An instance's fields: the activity fractions (slots 0..7, Activity order), then FB_USED.
constexpr std::size_t kFbSlot = kActivityCount;
constexpr std::size_t kInstanceSlotCount = kActivityCount + 1;
static_assert(dcgm::field_id::kProfPipeFp16Active - dcgm::field_id::kProfGrEngineActive + 1 ==
              kActivityCount);

constexpr unsigned short kMigModeField = 67;  // DCGM_FI_DEV_MIG_MODE: 1 when MIG is on

std::optional<std::size_t> card_slot(unsigned short id) {
  for (std::size_t i = 0; i < kCardSlotCount; ++i) {
    if (kCardFieldIds[i] == id) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> instance_slot(unsigned short id) {
  if (id >= dcgm::field_id::kProfGrEngineActive && id <= dcgm::field_id::kProfPipeFp16Active) {
    return id - dcgm::field_id::kProfGrEngineActive;
  }
  if (id == dcgm::field_id::kFbUsed) return kFbSlot;
  return std::nullopt;
}

// What a failed call means for the source.
enum class Outcome {
  reconnect,  // the connection, the GPU or our groups are gone: set everything up again
  transient,  // no values this tick; ask again next tick
  fatal,      // will not work: end with the message
};

Outcome classify(Return code) {
  switch (code) {
    case dcgm::kConnectionNotValid:
    case dcgm::kGpuIsLost:
    case dcgm::kResetRequired:
    case dcgm::kUninitialized:
    case dcgm::kNotConfigured:
    case dcgm::kBadParam:  // a group id the (restarted) host engine does not know
    case dcgm::kInstanceNotFound:
    case dcgm::kGpusDetached:
      return Outcome::reconnect;
    case dcgm::kTimeout:
    case dcgm::kPending:
    case dcgm::kPaused:
    case dcgm::kNoData:
    case dcgm::kStaleData:
    case dcgm::kNvmlDriverTimeout:
      return Outcome::transient;
    default:
      return Outcome::fatal;
  }
}

// Failures to watch the profiling fields that leave the card's fields usable.
bool profiling_unavailable(Return code) {
  switch (code) {
    case dcgm::kProfilingNotSupported:
    case dcgm::kProfilingLibraryError:
    case dcgm::kProfilingMultiPass:
    case dcgm::kModuleNotLoaded:
    case dcgm::kInUse:
    case dcgm::kRequiresRoot:
    case dcgm::kNoPermission:
    case dcgm::kNotSupported:
    case dcgm::kGpuNotSupported:
      return true;
    default:
      return false;
  }
}

// A value as a number, or nullopt with the reason in `problem`: DCGM's blank sentinels, a bad
// status, a type that is not a number, or a negative reading are all missing, never 0.
std::optional<double> numeric(const FieldValue& value, std::string& problem) {
  if (value.status != dcgm::kOk) {
    problem = std::string(dcgm::describe(value.status)) + " (DCGM status " +
              std::to_string(value.status) + ")";
    return std::nullopt;
  }
  double number = 0.0;
  if (value.field_type == dcgm::kTypeDouble) {
    if (dcgm::is_blank(value.value.dbl)) {
      problem = std::string(dcgm::describe_blank(value.value.dbl));
      return std::nullopt;
    }
    number = value.value.dbl;
  } else if (value.field_type == dcgm::kTypeInt64) {
    if (dcgm::is_blank(value.value.i64)) {
      problem = std::string(dcgm::describe_blank(value.value.i64));
      return std::nullopt;
    }
    number = static_cast<double>(value.value.i64);
  } else {
    problem = "unexpected field type '" + std::string(1, static_cast<char>(value.field_type)) + "'";
    return std::nullopt;
  }
  if (!std::isfinite(number) || number < 0.0) {
    problem = "impossible value " + std::to_string(number);
    return std::nullopt;
  }
  problem.clear();
  return number;
}

// A string value, or empty when DCGM has none.
std::string text(const FieldValue& value) {
  if (value.status != dcgm::kOk || value.field_type != dcgm::kTypeString) return {};
  const std::string_view s(value.value.str, ::strnlen(value.value.str, dcgm::kMaxStrLength));
  return dcgm::is_blank(s) ? std::string() : std::string(s);
}

// DCGM names a GPU instance by its profile ("3g.20gb"); some versions prefix "MIG ".
std::string profile_from_name(std::string name) {
  constexpr std::string_view kPrefix = "MIG ";
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  return name;
}

std::string describe_number(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                    std::chars_format::general, 6);
  return {buffer.data(), result.ptr};
}

DcgmSourceOptions checked(DcgmSourceOptions options) {
  if (!std::isfinite(options.interval_s) || options.interval_s < kDcgmMinIntervalS - 1e-12) {
    throw InputError("dcgm: interval " + describe_number(options.interval_s * 1000.0) + " ms" +
                     " is too short: DCGM samples its fields at most every 100 ms "
                     "(use --interval 100ms or more)");
  }
  if (!std::isfinite(options.layout_check_interval_s) || options.layout_check_interval_s <= 0.0) {
    throw InputError("dcgm: the MIG layout check interval must be a positive number of seconds");
  }
  return options;
}

// One GPU instance; without MIG, the whole card (its entity is then the GPU).
struct DcgmInstance {
  EntityPair entity;
  int gi_id = 0;
  std::vector<int> ci_ids;
  unsigned profile_id = 0;
  unsigned nvml_slices = 0;
  std::string profile;
  int compute_slices = 0;
  int memory_slices = 0;
  std::array<std::optional<double>, kInstanceSlotCount> values{};
  std::array<std::string, kInstanceSlotCount> problems{};
};

struct DcgmCard {
  unsigned gpu_id = 0;
  std::string uuid;
  std::string name;
  const GpuModel* model = nullptr;
  bool mig = false;
  std::string mig_note;
  std::vector<DcgmInstance> instances;
  std::array<std::optional<double>, kCardSlotCount> values{};
  std::array<std::string, kCardSlotCount> problems{};
};

}  // namespace

struct DcgmSource::State {
  DcgmSourceOptions options;
  LiveClock& clock;
  IntervalPacer pacer;
  dcgm::Library library;
  const dcgm::Functions& fn;

  bool initialized = false;
  bool connected = false;
  dcgm::Handle handle = 0;
  std::vector<DcgmCard> cards;
  std::unique_ptr<dcgm::MigHierarchy> hierarchy = std::make_unique<dcgm::MigHierarchy>();

  // Groups and watches; each flag says the id is live in the host engine.
  struct Watch {
    dcgm::GroupId group = 0;
    dcgm::FieldGroupId fields = 0;
    bool have_group = false;
    bool have_fields = false;
    bool watching = false;
  };
  Watch card_watch;
  Watch instance_watch;
  bool profiling = true;
  std::string profiling_problem;
  std::vector<EntityPair> card_entities;
  std::vector<EntityPair> instance_entities;
  std::vector<unsigned short> card_field_ids{kCardFieldIds.begin(), kCardFieldIds.end()};
  std::vector<unsigned short> instance_field_ids;
  std::vector<FieldValue> values;
  unsigned name_counter = 0;

  // Ticks.
  double now = 0.0;
  std::array<char, 48> stamp{};
  std::size_t stamp_length = 0;
  std::vector<Frame> frames;
  std::size_t ready = 0;
  std::size_t cursor = 0;
  double next_layout_check_s = 0.0;
  bool layout_check_due = false;
  double next_reconnect_s = 0.0;
  double reconnect_backoff_s = 0.0;
  std::optional<double> lost_since_s;
  std::string reconnect_problem;  // the last reason a reconnect failed, told once
  std::uint64_t reconnects = 0;
  std::uint64_t layout_changes = 0;

  explicit State(DcgmSourceOptions opts)
      : options(checked(std::move(opts))),
        clock(options.clock != nullptr ? *options.clock : system_live_clock()),
        pacer(clock, options.interval_s, options.duration_s, options.stop),
        library(options.library_path),
        fn(library.fn()) {}

  ~State() {
    teardown();
    if (initialized) fn.shutdown();
  }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void event(const std::string& message) const { tell_source_event(options.on_event, message); }

  [[nodiscard]] std::string where() const {
    return options.host_engine.empty() ? std::string("embedded host engine")
                                       : "host engine at " + options.host_engine;
  }

  [[noreturn]] void fail(std::string_view call, Return code) const {
    throw dcgm::DcgmError(code, "dcgm: " + library.message(call, code));
  }

  void start() {
    const Return code = fn.init();
    if (code != dcgm::kOk) fail("dcgmInit", code);
    initialized = true;
    setup();
    now = clock.now_s();
    next_layout_check_s = now + options.layout_check_interval_s;
  }

  // Connects, finds the GPUs and instances, and watches their fields. Throws DcgmError.
  void setup() {
    connect();
    discover();
    watch();
  }

  void connect() {
    Return code = dcgm::kOk;
    if (options.host_engine.empty()) {
      code = fn.start_embedded(dcgm::kOperationModeAuto, &handle);
      if (code != dcgm::kOk) fail("dcgmStartEmbedded", code);
    } else {
      code = fn.connect(options.host_engine.c_str(), &handle);
      if (code != dcgm::kOk) fail("dcgmConnect(" + options.host_engine + ")", code);
    }
    connected = true;
  }

  // Reads `fields` of `entities` into `values`; returns the call's code.
  Return read(std::vector<EntityPair>& entities, std::vector<unsigned short>& fields,
              unsigned flags) {
    values.resize(entities.size() * fields.size());
    if (values.empty()) return dcgm::kOk;
    for (FieldValue& value : values) {
      value.version = dcgm::kFieldValueVersion;
      value.status = dcgm::kNoData;  // whatever DCGM leaves unfilled reads as missing
      value.field_type = 0;
    }
    return fn.entities_get_latest_values(
        handle, entities.data(), static_cast<unsigned>(entities.size()), fields.data(),
        static_cast<unsigned>(fields.size()), flags, values.data());
  }

  [[nodiscard]] std::optional<std::size_t> find_card(const FieldValue& value) const {
    if (value.entity_group != dcgm::kEntityGpu) return std::nullopt;
    for (std::size_t i = 0; i < cards.size(); ++i) {
      if (cards[i].gpu_id == value.entity_id) return i;
    }
    return std::nullopt;
  }

  DcgmInstance* find_instance(const FieldValue& value, std::size_t hint) {
    if (hint < instance_entities.size()) {
      const EntityPair& expected = instance_entities[hint];
      if (expected.entity_group == value.entity_group && expected.entity_id == value.entity_id) {
        return instance_at(hint);
      }
    }
    for (std::size_t i = 0; i < instance_entities.size(); ++i) {
      if (instance_entities[i].entity_group == value.entity_group &&
          instance_entities[i].entity_id == value.entity_id) {
        return instance_at(i);
      }
    }
    return nullptr;
  }

  // The instance behind instance_entities[i] (built in card order, instance order).
  DcgmInstance* instance_at(std::size_t i) {
    for (DcgmCard& card : cards) {
      if (i < card.instances.size()) return &card.instances[i];
      i -= card.instances.size();
    }
    return nullptr;
  }

  // The GPUs, their names, MIG modes and instances.
  void discover() {
    cards.clear();
    std::array<unsigned, dcgm::kMaxNumDevices> ids{};
    int count = 0;
    Return code = fn.get_all_supported_devices(handle, ids.data(), &count);
    if (code != dcgm::kOk) fail("dcgmGetAllSupportedDevices", code);
    if (count <= 0) {
      throw dcgm::DcgmError(dcgm::kGpuNotSupported,
                            "dcgm: the " + where() + " sees no GPU that DCGM supports");
    }
    count = std::min(count, dcgm::kMaxNumDevices);
    cards.resize(static_cast<std::size_t>(count));
    std::vector<EntityPair> entities;
    for (std::size_t i = 0; i < cards.size(); ++i) {
      cards[i].gpu_id = ids[i];
      entities.push_back({dcgm::kEntityGpu, ids[i]});
    }
    std::vector<unsigned short> fields = {dcgm::field_id::kName, dcgm::field_id::kUuid,
                                          kMigModeField};
    code = read(entities, fields, dcgm::kFieldValueFlagLiveData);
    // Without names the cards are still usable: only a lost connection or GPU stops here.
    if (code != dcgm::kOk && classify(code) == Outcome::reconnect) {
      fail("dcgmEntitiesGetLatestValues(GPU names)", code);
    }
    std::vector<std::optional<bool>> mig_mode(cards.size());
    if (code != dcgm::kOk) values.clear();
    for (const FieldValue& value : values) {
      const auto card = find_card(value);
      if (!card) continue;
      if (value.field_id == dcgm::field_id::kName) cards[*card].name = text(value);
      if (value.field_id == dcgm::field_id::kUuid) cards[*card].uuid = text(value);
      if (value.field_id == kMigModeField) {
        std::string problem;
        if (const auto mode = numeric(value, problem)) mig_mode[*card] = *mode != 0.0;
      }
    }
    for (std::size_t i = 0; i < cards.size(); ++i) {
      cards[i].model = find_gpu_model(cards[i].name);
      cards[i].mig = mig_mode[i].value_or(false);
    }
    read_hierarchy();
    for (std::size_t i = 0; i < cards.size(); ++i) {
      DcgmCard& card = cards[i];
      if (!card.instances.empty()) card.mig = true;
      if (card.uuid.empty()) card.uuid = "GPU-dcgm-" + std::to_string(card.gpu_id);
      if (card.mig) {
        card.mig_note = card.instances.empty() ? "on, no GPU instances" : "on";
      } else {
        card.mig_note = mig_mode[i] ? "off" : "off (DCGM_FI_DEV_MIG_MODE not readable)";
        DcgmInstance whole;  // without MIG the card is its one instance
        whole.entity = {dcgm::kEntityGpu, card.gpu_id};
        card.instances.push_back(std::move(whole));
      }
    }
  }

  void read_hierarchy() {
    dcgm::MigHierarchy& h = *hierarchy;
    h.version = dcgm::kMigHierarchyVersion;
    h.count = 0;
    const Return code = fn.get_gpu_instance_hierarchy(handle, &h);
    if (code == dcgm::kNotSupported) return;  // no MIG anywhere
    if (code != dcgm::kOk) fail("dcgmGetGpuInstanceHierarchy", code);
    const std::size_t count = std::min<std::size_t>(h.count, dcgm::kMaxHierarchyInfo);
    // GPU instances first (a compute instance may be listed before its parent).
    for (std::size_t i = 0; i < count; ++i) {
      const dcgm::MigHierarchyInfo& item = h.entity_list[i];
      if (item.entity.entity_group != dcgm::kEntityGpuInstance ||
          item.parent.entity_group != dcgm::kEntityGpu) {
        continue;
      }
      auto card = std::find_if(cards.begin(), cards.end(), [&](const DcgmCard& c) {
        return c.gpu_id == item.parent.entity_id;
      });
      if (card == cards.end()) continue;  // a GPU DCGM does not support
      DcgmInstance instance;
      instance.entity = item.entity;
      instance.gi_id = static_cast<int>(item.info.nvml_instance_id);
      instance.profile_id = item.info.nvml_mig_profile_id;
      instance.nvml_slices = item.info.nvml_profile_slices;
      if (card->uuid.empty()) {
        card->uuid.assign(item.info.gpu_uuid,
                          ::strnlen(item.info.gpu_uuid, sizeof(item.info.gpu_uuid)));
      }
      card->instances.push_back(std::move(instance));
    }
    for (std::size_t i = 0; i < count; ++i) {
      const dcgm::MigHierarchyInfo& item = h.entity_list[i];
      if (item.entity.entity_group != dcgm::kEntityComputeInstance) continue;
      for (DcgmCard& card : cards) {
        for (DcgmInstance& instance : card.instances) {
          if (instance.entity.entity_group == item.parent.entity_group &&
              instance.entity.entity_id == item.parent.entity_id) {
            instance.ci_ids.push_back(static_cast<int>(item.info.nvml_compute_instance_id));
          }
        }
      }
    }
    name_instances();
  }

  // Profile names (DCGM_FI_DEV_NAME of a GPU instance) and the slices they hold.
  void name_instances() {
    std::vector<EntityPair> entities;
    for (const DcgmCard& card : cards) {
      for (const DcgmInstance& instance : card.instances) entities.push_back(instance.entity);
    }
    if (entities.empty()) return;
    std::vector<unsigned short> fields = {dcgm::field_id::kName};
    const Return code = read(entities, fields, dcgm::kFieldValueFlagLiveData);
    if (code != dcgm::kOk && classify(code) == Outcome::reconnect) {
      fail("dcgmEntitiesGetLatestValues(GPU instance names)", code);
    }
    for (DcgmCard& card : cards) {
      for (DcgmInstance& instance : card.instances) {
        if (code == dcgm::kOk) {
          for (const FieldValue& value : values) {
            if (value.entity_group == instance.entity.entity_group &&
                value.entity_id == instance.entity.entity_id) {
              instance.profile = profile_from_name(text(value));
            }
          }
        }
        // Slices as the trace reader will find them for this profile, so a recorded trace reads
        // back to the same frames; DCGM's slice count where the name does not tell.
        try {
          const ResolvedProfile resolved = resolve_profile(card.model, instance.profile);
          instance.compute_slices = resolved.compute_slices;
          instance.memory_slices = resolved.memory_slices;
        } catch (const InputError&) {
          instance.compute_slices = static_cast<int>(instance.nvml_slices);
        }
      }
      std::sort(card.instances.begin(), card.instances.end(),
                [](const DcgmInstance& a, const DcgmInstance& b) { return a.gi_id < b.gi_id; });
    }
  }

  [[nodiscard]] std::string unique_name(std::string_view what) {
    return "migpower-" + std::string(what) + "-" + std::to_string(::getpid()) + "-" +
           std::to_string(++name_counter);
  }

  // Creates a group of `entities` and a field group of `fields` and watches them. Returns the
  // watch call's code; throws for any other failure.
  Return watch_group(Watch& w, std::string_view what, const std::vector<EntityPair>& entities,
                     const std::vector<unsigned short>& fields) {
    Return code = fn.group_create(handle, dcgm::kGroupEmpty, unique_name(what).c_str(), &w.group);
    if (code != dcgm::kOk) fail("dcgmGroupCreate", code);
    w.have_group = true;
    for (const EntityPair& entity : entities) {
      code = fn.group_add_entity(handle, w.group, entity.entity_group, entity.entity_id);
      if (code != dcgm::kOk) fail("dcgmGroupAddEntity", code);
    }
    code = fn.field_group_create(handle, static_cast<int>(fields.size()), fields.data(),
                                 unique_name(std::string(what) + "-fields").c_str(), &w.fields);
    if (code != dcgm::kOk) fail("dcgmFieldGroupCreate", code);
    w.have_fields = true;
    const auto update_us = static_cast<long long>(std::llround(options.interval_s * 1e6));
    // DCGM keeps a few intervals of samples: only the latest is read.
    const double keep_s = std::max(5.0 * options.interval_s, 5.0);
    code = fn.watch_fields(handle, w.group, w.fields, update_us, keep_s, 0);
    w.watching = code == dcgm::kOk;
    return code;
  }

  void drop_field_group(Watch& w) const {
    if (w.watching) fn.unwatch_fields(handle, w.group, w.fields);
    if (w.have_fields) fn.field_group_destroy(handle, w.fields);
    w.watching = false;
    w.have_fields = false;
  }

  void drop_watch(Watch& w) const {
    drop_field_group(w);
    if (w.have_group) fn.group_destroy(handle, w.group);
    w.have_group = false;
  }

  void watch() {
    card_entities.clear();
    instance_entities.clear();
    for (const DcgmCard& card : cards) {
      card_entities.push_back({dcgm::kEntityGpu, card.gpu_id});
      for (const DcgmInstance& instance : card.instances) {
        instance_entities.push_back(instance.entity);
      }
    }
    Return code = watch_group(card_watch, "cards", card_entities, card_field_ids);
    if (code != dcgm::kOk) fail("dcgmWatchFields(card fields)", code);
    profiling = true;
    profiling_problem.clear();
    instance_field_ids.clear();
    if (!instance_entities.empty()) {
      for (unsigned short id = dcgm::field_id::kProfGrEngineActive;
           id <= dcgm::field_id::kProfPipeFp16Active; ++id) {
        instance_field_ids.push_back(id);
      }
      instance_field_ids.push_back(dcgm::field_id::kFbUsed);
      code = watch_group(instance_watch, "instances", instance_entities, instance_field_ids);
      if (code != dcgm::kOk && profiling_unavailable(code)) {
        // The card's power is still worth recording: keep FB_USED, report why activity is missing.
        profiling = false;
        profiling_problem = library.message("dcgmWatchFields(DCGM_FI_PROF_*)", code);
        event("dcgm: profiling fields unavailable, instances will have no activity: " +
              profiling_problem);
        drop_field_group(instance_watch);
        instance_field_ids.assign({dcgm::field_id::kFbUsed});
        code = fn.field_group_create(handle, 1, instance_field_ids.data(),
                                     unique_name("instances-fb").c_str(), &instance_watch.fields);
        if (code != dcgm::kOk) fail("dcgmFieldGroupCreate", code);
        instance_watch.have_fields = true;
        code = fn.watch_fields(handle, instance_watch.group, instance_watch.fields,
                               static_cast<long long>(std::llround(options.interval_s * 1e6)),
                               std::max(5.0 * options.interval_s, 5.0), 0);
        instance_watch.watching = code == dcgm::kOk;
      }
      if (code != dcgm::kOk) fail("dcgmWatchFields(instance fields)", code);
    }
    // The first samples come only at DCGM's next update cycle: force one so the first tick has
    // values.
    code = fn.update_all_fields(handle, 1);
    if (code != dcgm::kOk && classify(code) == Outcome::reconnect) {
      fail("dcgmUpdateAllFields", code);
    }
  }

  // Undoes setup; every call may fail (the host engine may be gone) and is only attempted.
  void teardown() {
    if (!connected) return;
    drop_watch(instance_watch);
    drop_watch(card_watch);
    if (options.host_engine.empty()) {
      fn.stop_embedded(handle);
    } else {
      fn.disconnect(handle);
    }
    connected = false;
  }

  void lose(const std::string& message) {
    if (!lost_since_s) {
      lost_since_s = now;
      event("dcgm: " + message + "; reconnecting");
    }
    teardown();
    cards.clear();
    reconnect_backoff_s = options.interval_s;
    next_reconnect_s = now;  // the next tick tries at once
  }

  bool try_reconnect() {
    if (now < next_reconnect_s) return false;
    try {
      setup();
    } catch (const dcgm::DcgmError& error) {
      teardown();
      cards.clear();
      if (reconnect_problem != error.what()) {
        reconnect_problem = error.what();
        event(reconnect_problem + "; will retry");
      }
      next_reconnect_s = now + reconnect_backoff_s;
      reconnect_backoff_s = std::min(reconnect_backoff_s * 2.0, 30.0);
      return false;
    }
    ++reconnects;
    event("dcgm: reconnected to the " + where() + " after " +
          describe_number(now - lost_since_s.value_or(now)) + " s");
    lost_since_s.reset();
    reconnect_problem.clear();
    next_layout_check_s = now + options.layout_check_interval_s;
    return true;
  }

  // A fingerprint of the MIG layout: each GPU instance's entity, id, profile and compute
  // instances.
  [[nodiscard]] std::string layout_text() const {
    std::string out;
    for (const DcgmCard& card : cards) {
      if (!card.mig) continue;
      out += "GPU " + std::to_string(card.gpu_id) + ": [";
      for (const DcgmInstance& instance : card.instances) {
        out += " " + std::to_string(instance.gi_id) + ":" +
               (instance.profile.empty() ? std::to_string(instance.profile_id) : instance.profile) +
               "/e" + std::to_string(instance.entity.entity_id) + "/ci" +
               std::to_string(instance.ci_ids.size());
      }
      out += " ] ";
    }
    return out;
  }

  // Reads the hierarchy again; when it changed, watches the new instances.
  void check_layout() {
    next_layout_check_s = now + options.layout_check_interval_s;
    layout_check_due = false;
    const std::string before = layout_text();
    std::vector<DcgmCard> old = std::move(cards);
    try {
      discover();
    } catch (const dcgm::DcgmError& error) {
      cards = std::move(old);
      if (classify(error.code()) == Outcome::reconnect) {
        lose(error.what());
      } else {
        event(std::string(error.what()) + "; keeping the MIG layout read before");
      }
      return;
    }
    const std::string after = layout_text();
    if (after == before && cards.size() == old.size()) {
      // Same layout: keep the old structures, which the watches were built for.
      cards = std::move(old);
      return;
    }
    ++layout_changes;
    event("dcgm: MIG layout changed from " + (before.empty() ? "none " : before) + "to " +
          (after.empty() ? "none" : after));
    drop_watch(instance_watch);
    drop_watch(card_watch);
    try {
      watch();
    } catch (const dcgm::DcgmError& error) {
      if (classify(error.code()) != Outcome::reconnect) throw;
      lose(error.what());
    }
  }

  // Handles a failed read: false means no frames this tick.
  bool settle(std::string_view call, Return code) {
    if (code == dcgm::kOk) return true;
    switch (classify(code)) {
      case Outcome::reconnect:
        lose(library.message(call, code));
        return false;
      case Outcome::transient:
        event("dcgm: " + library.message(call, code) + "; this tick has no frames");
        return false;
      case Outcome::fatal:
        break;
    }
    fail(call, code);
  }

  // Reads the latest values of every watched field. False when there are none this tick.
  bool read_values() {
    for (DcgmCard& card : cards) {
      card.values.fill(std::nullopt);
      card.problems.fill("no value returned");
      for (DcgmInstance& instance : card.instances) {
        instance.values.fill(std::nullopt);
        instance.problems.fill(profiling ? "no value returned" : profiling_problem);
      }
    }
    if (!settle("dcgmEntitiesGetLatestValues(card fields)",
                read(card_entities, card_field_ids, 0))) {
      return false;
    }
    for (const FieldValue& value : values) {
      const auto card = find_card(value);
      const auto slot = card_slot(value.field_id);
      if (!card || !slot) continue;
      cards[*card].values[*slot] = numeric(value, cards[*card].problems[*slot]);
    }
    if (instance_entities.empty()) return true;
    if (!settle("dcgmEntitiesGetLatestValues(instance fields)",
                read(instance_entities, instance_field_ids, 0))) {
      return false;
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      const FieldValue& value = values[i];
      const auto slot = instance_slot(value.field_id);
      DcgmInstance* instance = find_instance(value, i / instance_field_ids.size());
      if (!slot || instance == nullptr) continue;
      if (value.status == dcgm::kInstanceNotFound) layout_check_due = true;
      std::optional<double> number = numeric(value, instance->problems[*slot]);
      // DCGM's ratios may overshoot 1 by a rounding error; the trace holds fractions 0..1.
      if (number && *slot < kActivityCount) number = std::min(*number, 1.0);
      instance->values[*slot] = number;
    }
    return true;
  }

  void fill(const DcgmCard& card, Frame& frame) const {
    frame.timestamp_s = now;
    frame.timestamp_text.assign(stamp.data(), stamp_length);
    frame.gpu_uuid.assign(card.uuid);
    frame.gpu_model.assign(card.name);
    frame.power_w = card.values[kPower];
    frame.energy_mj = card.values[kEnergy];
    frame.sm_clock_mhz = card.values[kSmClock];
    frame.mem_clock_mhz = card.values[kMemClock];
    frame.temperature_c = card.values[kTemperature];
    frame.power_limit_w = card.values[kPowerLimit];
    frame.instances.resize(card.instances.size());
    for (std::size_t i = 0; i < card.instances.size(); ++i) {
      const DcgmInstance& instance = card.instances[i];
      InstanceSample& sample = frame.instances[i];
      sample.gpu_i_id = instance.gi_id;
      sample.profile.assign(instance.profile);
      sample.compute_slices = instance.compute_slices;
      sample.memory_slices = instance.memory_slices;
      for (std::size_t a = 0; a < kActivityCount; ++a) sample.activity[a] = instance.values[a];
      sample.fb_used_mib = instance.values[kFbSlot];
      sample.workload.clear();
      sample.truth_power_w.reset();
    }
  }

  void start_tick(double t) {
    now = t;
    const auto result =
        std::to_chars(stamp.data(), stamp.data() + stamp.size(), now, std::chars_format::fixed, 3);
    stamp_length = static_cast<std::size_t>(result.ptr - stamp.data());
    ready = 0;
    cursor = 0;
    if (!connected && !try_reconnect()) return;
    if (layout_check_due || now >= next_layout_check_s) check_layout();
    if (!connected || !read_values()) return;
    if (frames.size() < cards.size()) frames.resize(cards.size());
    for (std::size_t i = 0; i < cards.size(); ++i) fill(cards[i], frames[i]);
    ready = cards.size();
  }

  SourceReport report();
};

SourceReport DcgmSource::State::report() {
  SourceReport report;
  report.source = "dcgm";
  report.available = true;
  report.detail = library.path() + ", " + where();
  now = clock.now_s();
  if (!connected && !try_reconnect()) {
    report.available = false;
    report.detail += ": connection lost";
    return report;
  }
  if (!read_values()) report.notes.emplace_back("the values could not be read this time");
  cursor = ready;  // the next call to next() starts a fresh tick
  if (!profiling) report.notes.push_back("profiling fields unavailable: " + profiling_problem);
  for (const DcgmCard& card : cards) {
    CardReport out;
    out.uuid = card.uuid;
    out.model = card.name;
    out.mig = card.mig_note;
    for (const DcgmInstance& instance : card.instances) {
      if (!card.mig) break;
      InstanceReport item;
      item.gpu_i_id = instance.gi_id;
      item.compute_instance_ids = instance.ci_ids;
      item.profile = instance.profile;
      item.compute_slices = instance.compute_slices;
      item.memory_slices = instance.memory_slices;
      out.instances.push_back(std::move(item));
    }
    out.fields.push_back({std::string(field::kGpuModel), !card.name.empty(),
                          card.name.empty() ? "DCGM_FI_DEV_NAME: no value" : "DCGM_FI_DEV_NAME"});
    for (std::size_t i = 0; i < kCardSlotCount; ++i) {
      const std::string how =
          "DCGM field " + std::to_string(kCardFieldIds[i]) + " on the GPU, watched";
      out.fields.push_back({std::string(kCardFieldNames[i]), card.values[i].has_value(),
                            card.values[i] ? how : card.problems[i]});
    }
    const std::string level = card.mig ? "per GPU instance" : "on the whole GPU";
    for (std::size_t slot = 0; slot < kInstanceSlotCount; ++slot) {
      const unsigned short id =
          slot < kActivityCount
              ? static_cast<unsigned short>(dcgm::field_id::kProfGrEngineActive + slot)
              : dcgm::field_id::kFbUsed;
      const std::string name(slot < kActivityCount ? kActivityFieldNames[slot] : field::kFbUsed);
      FieldProvision item{name, false, {}};
      for (const DcgmInstance& instance : card.instances) {
        if (instance.values[slot]) item.provided = true;
      }
      if (item.provided) {
        item.detail = "DCGM field " + std::to_string(id) + " " + level + ", watched";
      } else if (card.instances.empty()) {
        item.detail = "no GPU instances";
      } else {
        item.detail = card.instances.front().problems[slot];
      }
      out.fields.push_back(std::move(item));
    }
    report.cards.push_back(std::move(out));
  }
  return report;
}

DcgmSource::DcgmSource(DcgmSourceOptions options)
    : state_(std::make_unique<State>(std::move(options))) {
  state_->start();  // on a throw, state_ is destroyed and undoes what start did
}

DcgmSource::~DcgmSource() = default;

bool DcgmSource::next(Frame& out) {
  State& s = *state_;
  while (true) {
    if (s.cursor < s.ready) {
      out = s.frames[s.cursor++];
      return true;
    }
    const std::optional<double> tick = s.pacer.wait();
    if (!tick) return false;
    s.start_tick(*tick);
  }
}

SourceReport DcgmSource::report() { return state_->report(); }

std::size_t DcgmSource::card_count() const { return state_->cards.size(); }

std::uint64_t DcgmSource::reconnects() const { return state_->reconnects; }

std::uint64_t DcgmSource::layout_changes() const { return state_->layout_changes; }

bool DcgmSource::profiling_watched() const { return state_->profiling; }

SourceReport probe_dcgm(const DcgmSourceOptions& options) {
  try {
    DcgmSource source(options);
    return source.report();
  } catch (const InputError& error) {
    SourceReport report;
    report.source = "dcgm";
    report.available = false;
    report.detail = error.what();
    return report;
  }
}

}  // namespace migpower
