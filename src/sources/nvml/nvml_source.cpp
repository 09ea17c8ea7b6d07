#include "sources/nvml/nvml_source.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "core/catalog.hpp"
#include "core/fields.hpp"
#include "sources/interval_pacer.hpp"
#include "sources/interval_power.hpp"
#include "sources/nvml/nvml_api.hpp"
#include "sources/source_events.hpp"

namespace migpower {
namespace {

using nvml::Device;
using nvml::Return;

// What one GPU can answer, found on first use and remembered (also across re-discovery, by
// UUID), so an unsupported call is never repeated every second.
enum Cap : std::size_t {
  kPowerInstant,
  kPowerAverage,
  kEnergy,
  kPowerLimit,
  kSmClock,
  kMemClock,
  kTemperature,
  kUtilization,
  kMemory,
  kMig,
  kGpm,
  kProcesses,
  kProcessUtilization,
  kCapCount,
};

constexpr std::array<std::string_view, kCapCount> kCapCalls = {
    "nvmlDeviceGetFieldValues(NVML_FI_DEV_POWER_INSTANT)",
    "nvmlDeviceGetPowerUsage",
    "nvmlDeviceGetTotalEnergyConsumption",
    "nvmlDeviceGetPowerManagementLimit",
    "nvmlDeviceGetClockInfo(NVML_CLOCK_SM)",
    "nvmlDeviceGetClockInfo(NVML_CLOCK_MEM)",
    "nvmlDeviceGetTemperature(NVML_TEMPERATURE_GPU)",
    "nvmlDeviceGetUtilizationRates",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetMigMode",
    "GPM",
    "nvmlDeviceGetComputeRunningProcesses_v3",
    "nvmlDeviceGetProcessUtilization",
};

struct CapState {
  enum class Status { unknown, on, off };
  Status status = Status::unknown;
  std::string reason;  // why it is off
};
using Caps = std::array<CapState, kCapCount>;

// What a return code means for the caller.
enum class Outcome {
  ok,
  unsupported,  // will not work on this GPU: stop asking
  lost,         // the GPU (or NVML) is gone: re-discover
  stale,        // the handle no longer names anything: on a MIG handle, the layout changed
  transient,    // no value this time; ask again next time
};

Outcome classify(Return code) {
  switch (code) {
    case nvml::kSuccess:
      return Outcome::ok;
    case nvml::kErrorNotSupported:
    case nvml::kErrorNoPermission:
    case nvml::kErrorFunctionNotFound:
    case nvml::kErrorArgumentVersionMismatch:
    case nvml::kErrorDeprecated:
    case nvml::kErrorVgpuEccNotSupported:
      return Outcome::unsupported;
    case nvml::kErrorGpuIsLost:
    case nvml::kErrorResetRequired:
    case nvml::kErrorUninitialized:
    case nvml::kErrorDriverNotLoaded:
    case nvml::kErrorLibRmVersionMismatch:
    case nvml::kErrorGpuNotFound:
    case nvml::kErrorIrqIssue:
    case nvml::kErrorUnknown:
      return Outcome::lost;
    case nvml::kErrorNotFound:
    case nvml::kErrorInvalidArgument:
      return Outcome::stale;
    default:
      return Outcome::transient;
  }
}

// GPM metric for each activity field, in the order of kActivityFieldNames.
struct GpmMetricInfo {
  unsigned id;
  std::string_view name;
};
constexpr std::array<GpmMetricInfo, kActivityCount> kGpmMetrics = {{
    {nvml::kGpmGraphicsUtil, "NVML_GPM_METRIC_GRAPHICS_UTIL"},
    {nvml::kGpmSmUtil, "NVML_GPM_METRIC_SM_UTIL"},
    {nvml::kGpmSmOccupancy, "NVML_GPM_METRIC_SM_OCCUPANCY"},
    {nvml::kGpmAnyTensorUtil, "NVML_GPM_METRIC_ANY_TENSOR_UTIL"},
    {nvml::kGpmDramBwUtil, "NVML_GPM_METRIC_DRAM_BW_UTIL"},
    {nvml::kGpmFp64Util, "NVML_GPM_METRIC_FP64_UTIL"},
    {nvml::kGpmFp32Util, "NVML_GPM_METRIC_FP32_UTIL"},
    {nvml::kGpmFp16Util, "NVML_GPM_METRIC_FP16_UTIL"},
}};

constexpr double kBytesPerMib = 1024.0 * 1024.0;
constexpr Return kNoAnswerYet = -1;

// Calls an NVML "count, then fill" function (`call(buffer, &count)`) until the buffer is large
// enough. The first call of a card has an empty buffer and so asks for the count; later calls
// reuse the buffer, so a steady frame makes one call. On success `count` entries were written.
template <typename Entry, typename Call>
Return fill_buffer(std::vector<Entry>& buffer, unsigned& count, Call&& call) {
  Return code = nvml::kSuccess;
  for (int attempt = 0; attempt < 3; ++attempt) {
    count = static_cast<unsigned>(buffer.size());
    code = call(buffer.empty() ? nullptr : buffer.data(), &count);
    const bool too_small =
        code == nvml::kErrorInsufficientSize || (code == nvml::kSuccess && count > buffer.size());
    if (!too_small) break;
    // Room for a few processes that start before the next call.
    buffer.resize(std::max<std::size_t>(count, buffer.size()) + 4);
  }
  if (code != nvml::kSuccess) count = 0;
  count = std::min(count, static_cast<unsigned>(buffer.size()));
  return code;
}

// One GPU instance: without MIG, the whole card.
struct Instance {
  unsigned gi_id = 0;
  std::vector<unsigned> ci_ids;
  std::vector<Device> handles;  // a MIG device per compute instance; the card's own without MIG
  std::string profile;
  int compute_slices = 0;
  int memory_slices = 0;
  std::optional<double> memory_mib;  // nvmlDeviceGetAttributes_v2
  std::array<nvml::GpmSample, 2> samples{};
  int current = 0;  // the sample the next reading goes into
  bool have_previous = false;
};

struct Card {
  unsigned index = 0;
  Device handle = nullptr;
  std::string uuid;
  std::string name;
  std::string name_problem;  // why the name is unknown
  const GpuModel* model = nullptr;
  Caps caps{};
  bool mig_on = false;
  std::string mig_note;
  std::vector<Instance> instances;
  bool memory_v1 = false;  // nvmlDeviceGetMemoryInfo_v2 refused or missing: use the v1 call
  std::array<Return, kActivityCount> gpm_returns{};
  double next_layout_check_s = 0.0;
  bool lost = false;
  bool layout_stale = false;
  IntervalPower interval_power;  // the energy counter's mean over each frame
  // Per-process reading, reused from frame to frame.
  unsigned long long last_utilization_us = 0;  // newest process sample already read
  std::vector<nvml::ProcessInfo> process_buffer;
  std::vector<nvml::ProcessUtilizationSample> utilization_buffer;
  std::vector<std::pair<unsigned, std::string>> process_names;  // of the previous frame
};

// "3g.20gb" from "NVIDIA A100-SXM4-40GB MIG 3g.20gb"; a compute instance smaller than its GPU
// instance is named "MIG 1c.3g.20gb", and its GPU instance's profile is what the trace holds.
std::string profile_from_mig_name(std::string_view name) {
  const std::size_t mig = name.rfind("MIG ");
  if (mig == std::string_view::npos) return {};
  std::string_view profile = name.substr(mig + 4);
  while (!profile.empty() && profile.front() == ' ') profile.remove_prefix(1);
  while (!profile.empty() && profile.back() == ' ') profile.remove_suffix(1);
  std::size_t digits = 0;
  while (digits < profile.size() && profile[digits] >= '0' && profile[digits] <= '9') ++digits;
  if (digits > 0 && profile.size() > digits + 1 && profile[digits] == 'c' &&
      profile[digits + 1] == '.') {
    profile.remove_prefix(digits + 2);
  }
  return std::string(profile);
}

std::optional<double> field_number(const nvml::FieldValue& field) {
  switch (field.value_type) {
    case nvml::kValueTypeDouble:
      return field.value.d;
    case nvml::kValueTypeUnsignedInt:
      return static_cast<double>(field.value.ui);
    case nvml::kValueTypeUnsignedLong:
      return static_cast<double>(field.value.ul);
    case nvml::kValueTypeUnsignedLongLong:
      return static_cast<double>(field.value.ull);
    case nvml::kValueTypeSignedLongLong:
      return static_cast<double>(field.value.sll);
    case nvml::kValueTypeSignedInt:
      return static_cast<double>(field.value.si);
    case nvml::kValueTypeUnsignedShort:
      return static_cast<double>(field.value.us);
    default:
      return std::nullopt;
  }
}

bool same_layout(const std::vector<Instance>& a, const std::vector<Instance>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].gi_id != b[i].gi_id || a[i].ci_ids != b[i].ci_ids || a[i].profile != b[i].profile) {
      return false;
    }
  }
  return true;
}

std::string describe_layout(const Card& card) {
  if (!card.mig_on) return "MIG off";
  std::string text;
  for (const Instance& instance : card.instances) {
    if (!text.empty()) text += ", ";
    text += std::to_string(instance.gi_id) + ":" +
            (instance.profile.empty() ? std::string("?") : instance.profile);
  }
  return text.empty() ? "MIG on, no instances" : "MIG " + text;
}

}  // namespace

struct NvmlSource::State {
  explicit State(NvmlSourceOptions opts)
      : options(std::move(opts)),
        clock(options.clock != nullptr ? *options.clock : system_live_clock()),
        pacer(clock, options.interval_s, options.duration_s, options.stop),
        library(options.library_path),
        fn(library.fn()),
        metrics(std::make_unique<nvml::GpmMetricsGet>()),
        backoff_s(options.interval_s) {
    now = clock.now_s();
    collect_processes = options.processes;
    std::string error;
    Return code = nvml::kSuccess;
    if (!discover(error, code)) {
      shutdown();
      throw nvml::NvmlError(code, "nvml: " + error);
    }
  }

  ~State() { shutdown(); }
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void event(const std::string& message) const { tell_source_event(options.on_event, message); }

  void shutdown() {
    release_cards();
    if (initialized) fn.shutdown();
    initialized = false;
  }

  void free_samples(Instance& instance) const {
    for (nvml::GpmSample& sample : instance.samples) {
      if (sample != nullptr && fn.gpm_sample_free != nullptr) fn.gpm_sample_free(sample);
      sample = nullptr;
    }
    instance.have_previous = false;
  }

  // Frees what NVML gave out and remembers each GPU's capabilities for after re-discovery.
  void release_cards() {
    for (Card& card : cards) {
      for (Instance& instance : card.instances) free_samples(instance);
      remembered[card.uuid] = card.caps;
      remembered_utilization_us[card.uuid] = card.last_utilization_us;
    }
    cards.clear();
  }

  // Capabilities whose function this library lacks are off from the start.
  void init_caps(Card& card) const {
    const auto lacks = [&](Cap cap, bool present, std::string_view symbol) {
      if (present) return;
      card.caps[cap].status = CapState::Status::off;
      card.caps[cap].reason = std::string(symbol) + " missing from " + library.path();
    };
    lacks(kPowerInstant, fn.device_get_field_values != nullptr, "nvmlDeviceGetFieldValues");
    lacks(kEnergy, fn.device_get_total_energy_consumption != nullptr,
          "nvmlDeviceGetTotalEnergyConsumption");
    lacks(kPowerLimit, fn.device_get_power_management_limit != nullptr,
          "nvmlDeviceGetPowerManagementLimit");
    lacks(kSmClock, fn.device_get_clock_info != nullptr, "nvmlDeviceGetClockInfo");
    lacks(kMemClock, fn.device_get_clock_info != nullptr, "nvmlDeviceGetClockInfo");
    lacks(kTemperature, fn.device_get_temperature != nullptr, "nvmlDeviceGetTemperature");
    lacks(kUtilization, fn.device_get_utilization_rates != nullptr,
          "nvmlDeviceGetUtilizationRates");
    lacks(kMemory, fn.device_get_memory_info_v2 != nullptr || fn.device_get_memory_info != nullptr,
          "nvmlDeviceGetMemoryInfo");
    lacks(kMig, fn.device_get_mig_mode != nullptr, "nvmlDeviceGetMigMode");
    lacks(kProcesses, fn.device_get_compute_running_processes_v3 != nullptr,
          "nvmlDeviceGetComputeRunningProcesses_v3");
    lacks(kProcessUtilization, fn.device_get_process_utilization != nullptr,
          "nvmlDeviceGetProcessUtilization");
    for (const auto& [present, symbol] :
         {std::pair{fn.gpm_query_device_support != nullptr, "nvmlGpmQueryDeviceSupport"},
          std::pair{fn.gpm_sample_alloc != nullptr, "nvmlGpmSampleAlloc"},
          std::pair{fn.gpm_sample_free != nullptr, "nvmlGpmSampleFree"},
          std::pair{fn.gpm_sample_get != nullptr, "nvmlGpmSampleGet"},
          std::pair{fn.gpm_metrics_get != nullptr, "nvmlGpmMetricsGet"}}) {
      if (card.caps[kGpm].status != CapState::Status::off) lacks(kGpm, present, symbol);
    }
    if (options.power == PowerReading::average) {
      card.caps[kPowerInstant] = {CapState::Status::off, "not asked (average power chosen)"};
    }
    card.memory_v1 = fn.device_get_memory_info_v2 == nullptr;
    card.gpm_returns.fill(kNoAnswerYet);
  }

  static void turn_off(Card& card, Cap cap, std::string reason) {
    card.caps[cap].status = CapState::Status::off;
    card.caps[cap].reason = std::move(reason);
  }

  void mark_lost(Card& card, const std::string& reason) {
    if (card.lost) return;
    card.lost = true;
    card.interval_power.reset();  // the frames around the gap are not one interval
    event("nvml: " + card.uuid + ": " + reason + "; looking for it again");
    if (!rediscovery_due) {
      rediscovery_due = true;
      next_rediscovery_s = now;  // at the next tick
      backoff_s = options.interval_s;
    }
  }

  // Files the answer `code` to capability `cap`; true on success. `mig_handle`: the call was made
  // on a MIG device, whose staleness means the layout changed rather than the GPU being lost.
  bool settle(Card& card, Cap cap, bool mig_handle, Return code) {
    switch (classify(code)) {
      case Outcome::ok:
        card.caps[cap].status = CapState::Status::on;
        return true;
      case Outcome::unsupported:
        turn_off(card, cap, library.message(kCapCalls[cap], code));
        return false;
      case Outcome::stale:
        if (mig_handle) {
          card.layout_stale = true;
          return false;
        }
        [[fallthrough]];
      case Outcome::lost:
        mark_lost(card, library.message(kCapCalls[cap], code));
        return false;
      case Outcome::transient:
        return false;
    }
    return false;
  }

  // Calls `call` for `cap` unless the capability is off or the card lost.
  template <typename Call>
  bool attempt(Card& card, Cap cap, bool mig_handle, Call&& call) {
    if (card.lost || card.caps[cap].status == CapState::Status::off) return false;
    return settle(card, cap, mig_handle, call());
  }

  // Initializes NVML (again) and finds every GPU and its layout. False, with the reason, when
  // NVML cannot be initialized or no GPU answers.
  bool discover(std::string& error, Return& code) {
    release_cards();
    if (initialized) fn.shutdown();
    initialized = false;
    code = fn.init_v2();
    if (code != nvml::kSuccess) {
      error = library.message("nvmlInit_v2", code);
      return false;
    }
    initialized = true;
    unsigned count = 0;
    code = fn.device_get_count_v2(&count);
    if (code != nvml::kSuccess) {
      error = library.message("nvmlDeviceGetCount_v2", code);
      return false;
    }
    std::string last_problem;
    for (unsigned index = 0; index < count; ++index) {
      Card card;
      card.index = index;
      code = fn.device_get_handle_by_index_v2(index, &card.handle);
      std::array<char, nvml::kDeviceUuidBufferSize> text{};
      if (code == nvml::kSuccess) code = fn.device_get_uuid(card.handle, text.data(), text.size());
      if (code != nvml::kSuccess) {
        last_problem = "GPU " + std::to_string(index) + ": " +
                       library.message("nvmlDeviceGetHandleByIndex_v2/GetUUID", code);
        event("nvml: " + last_problem);
        continue;
      }
      card.uuid = text.data();
      if (fn.device_get_name == nullptr) {
        card.name_problem = "nvmlDeviceGetName missing from " + library.path();
      } else {
        text.fill('\0');
        const Return name_code = fn.device_get_name(card.handle, text.data(), text.size());
        if (name_code == nvml::kSuccess) {
          card.name = text.data();
        } else {
          card.name_problem = library.message("nvmlDeviceGetName", name_code);
        }
      }
      card.model = find_gpu_model(card.name);
      init_caps(card);
      if (const auto found = remembered.find(card.uuid); found != remembered.end()) {
        card.caps = found->second;
      }
      if (const auto found = remembered_utilization_us.find(card.uuid);
          found != remembered_utilization_us.end()) {
        card.last_utilization_us = found->second;
      }
      if (std::find(known_uuids.begin(), known_uuids.end(), card.uuid) == known_uuids.end()) {
        known_uuids.push_back(card.uuid);
      }
      cards.push_back(std::move(card));
    }
    for (Card& card : cards) refresh_layout(card, /*count_change=*/false);
    if (cards.empty()) {
      code = nvml::kErrorGpuNotFound;
      error = count == 0 ? "no NVIDIA GPU found" : "no GPU answered (" + last_problem + ")";
      return false;
    }
    return true;
  }

  // The MIG devices of `card`, grouped by GPU instance. False when the card is lost.
  bool scan_layout(Card& card, bool& mig_on, std::string& note, std::vector<Instance>& out) {
    out.clear();
    mig_on = false;
    unsigned current = 0;
    unsigned pending = 0;
    if (attempt(card, kMig, false,
                [&] { return fn.device_get_mig_mode(card.handle, &current, &pending); })) {
      mig_on = current == nvml::kMigEnabled;
      note = mig_on ? "on" : "off";
    } else if (card.lost) {
      return false;
    } else {
      note = "off (" +
             (card.caps[kMig].reason.empty() ? std::string("no answer") : card.caps[kMig].reason) +
             ")";
    }
    if (!mig_on) {
      Instance whole;
      whole.handles.push_back(card.handle);
      out.push_back(std::move(whole));
      return true;
    }
    for (const auto& [present, symbol] :
         {std::pair{fn.device_get_max_mig_device_count != nullptr,
                    "nvmlDeviceGetMaxMigDeviceCount"},
          std::pair{fn.device_get_mig_device_handle_by_index != nullptr,
                    "nvmlDeviceGetMigDeviceHandleByIndex"},
          std::pair{fn.device_get_gpu_instance_id != nullptr, "nvmlDeviceGetGpuInstanceId"}}) {
      if (!present) {
        note = std::string("on, but ") + symbol + " is missing: instances unknown";
        return true;
      }
    }
    unsigned slots = 0;
    Return code = fn.device_get_max_mig_device_count(card.handle, &slots);
    if (code != nvml::kSuccess) {
      if (classify(code) == Outcome::lost || classify(code) == Outcome::stale) {
        mark_lost(card, library.message("nvmlDeviceGetMaxMigDeviceCount", code));
        return false;
      }
      note = "on, but " + library.message("nvmlDeviceGetMaxMigDeviceCount", code);
      return true;
    }
    for (unsigned slot = 0; slot < slots; ++slot) {
      Device mig = nullptr;
      code = fn.device_get_mig_device_handle_by_index(card.handle, slot, &mig);
      if (code == nvml::kErrorNotFound) continue;  // an empty slot
      unsigned gi = 0;
      if (code == nvml::kSuccess) code = fn.device_get_gpu_instance_id(mig, &gi);
      if (code != nvml::kSuccess) {
        if (classify(code) == Outcome::lost) {
          mark_lost(card, library.message("nvmlDeviceGetMigDeviceHandleByIndex", code));
          return false;
        }
        continue;  // destroyed while we looked: the next scan sees the new layout
      }
      unsigned ci = 0;
      if (fn.device_get_compute_instance_id != nullptr) fn.device_get_compute_instance_id(mig, &ci);
      auto instance = std::find_if(out.begin(), out.end(),
                                   [gi](const Instance& known) { return known.gi_id == gi; });
      if (instance == out.end()) {
        out.emplace_back();
        instance = std::prev(out.end());
        instance->gi_id = gi;
        describe_instance(card, mig, *instance);
      }
      instance->ci_ids.push_back(ci);
      instance->handles.push_back(mig);
    }
    std::sort(out.begin(), out.end(),
              [](const Instance& a, const Instance& b) { return a.gi_id < b.gi_id; });
    return true;
  }

  // Profile, slices and memory of a GPU instance, from one of its MIG devices.
  void describe_instance(const Card& card, Device mig, Instance& instance) const {
    std::array<char, nvml::kDeviceNameBufferSize> name{};
    if (fn.device_get_name != nullptr &&
        fn.device_get_name(mig, name.data(), name.size()) == nvml::kSuccess) {
      instance.profile = profile_from_mig_name(name.data());
    }
    nvml::DeviceAttributes attributes{};
    const bool have_attributes = fn.device_get_attributes_v2 != nullptr &&
                                 fn.device_get_attributes_v2(mig, &attributes) == nvml::kSuccess;
    if (have_attributes) instance.memory_mib = static_cast<double>(attributes.memory_size_mib);
    if (instance.profile.empty() && have_attributes) {  // "Ng.Mgb" as NVIDIA names profiles
      instance.profile = std::to_string(attributes.gpu_instance_slice_count) + "g." +
                         std::to_string(static_cast<long long>(
                             std::ceil(static_cast<double>(attributes.memory_size_mib) / 1024.0))) +
                         "gb";
    }
    // Slices as the trace reader will find them for this profile, so a recorded trace reads
    // back to the same frames; the attributes where the catalog and the name do not tell.
    try {
      const ResolvedProfile resolved = resolve_profile(card.model, instance.profile);
      instance.compute_slices = resolved.compute_slices;
      instance.memory_slices = resolved.memory_slices;
    } catch (const InputError&) {
      instance.compute_slices =
          have_attributes ? static_cast<int>(attributes.gpu_instance_slice_count) : 0;
    }
  }

  // Enumerates the card's instances again and adopts them if they changed.
  void refresh_layout(Card& card, bool count_change = true) {
    card.next_layout_check_s = now + options.layout_check_interval_s;
    card.layout_stale = false;
    std::vector<Instance> fresh;
    bool mig_on = false;
    std::string note;
    if (!scan_layout(card, mig_on, note, fresh)) return;
    card.mig_note = note;
    if (mig_on == card.mig_on && same_layout(card.instances, fresh)) {
      for (std::size_t i = 0; i < fresh.size(); ++i) card.instances[i].handles = fresh[i].handles;
      return;
    }
    const std::string before = describe_layout(card);
    for (Instance& instance : card.instances) free_samples(instance);
    card.instances = std::move(fresh);
    if (mig_on != card.mig_on && fn.device_get_process_utilization != nullptr) {
      card.caps[kProcessUtilization] = {};  // refused with MIG on is no answer for MIG off
    }
    card.mig_on = mig_on;
    if (count_change) {
      ++layout_changes;
      event("nvml: " + card.uuid + ": layout changed from " + before + " to " +
            describe_layout(card));
    }
  }

  // Re-discovers lost GPUs when due, and re-checks MIG layouts every so often.
  void maintain() {
    if (rediscovery_due && now >= next_rediscovery_s) {
      ++rediscoveries;
      std::string error;
      Return code = nvml::kSuccess;
      const bool found = discover(error, code);
      std::size_t missing = 0;
      for (const std::string& uuid : known_uuids) {
        const bool present = std::any_of(cards.begin(), cards.end(),
                                         [&](const Card& card) { return card.uuid == uuid; });
        missing += present ? 0 : 1;
      }
      if (found && missing == 0) {
        rediscovery_due = false;
        event("nvml: found all " + std::to_string(cards.size()) + " GPUs again");
      } else {
        event("nvml: re-discovery: " +
              (found ? std::to_string(missing) + " GPUs still missing" : error) + "; next try in " +
              std::to_string(backoff_s) + " s");
        next_rediscovery_s = now + backoff_s;
        backoff_s = std::min(backoff_s * 2.0, options.max_rediscovery_backoff_s);
      }
    }
    for (Card& card : cards) {
      if (!card.lost && now >= card.next_layout_check_s) refresh_layout(card);
    }
  }

  std::optional<double> read_power(Card& card) {
    if (options.power != PowerReading::average) {
      nvml::FieldValue field{};
      field.field_id = nvml::kFieldPowerInstant;
      if (attempt(card, kPowerInstant, false, [&] {
            const Return code = fn.device_get_field_values(card.handle, 1, &field);
            return code == nvml::kSuccess ? field.nvml_return : code;
          })) {
        if (const auto mw = field_number(field)) return *mw / 1000.0;
      }
    }
    unsigned mw = 0;
    if (attempt(card, kPowerAverage, false,
                [&] { return fn.device_get_power_usage(card.handle, &mw); })) {
      return mw / 1000.0;
    }
    return std::nullopt;
  }

  std::optional<double> read_memory_mib(Card& card, Device handle, bool mig) {
    if (card.lost || card.caps[kMemory].status == CapState::Status::off) return std::nullopt;
    if (!card.memory_v1) {
      nvml::MemoryV2 memory{};
      memory.version = nvml::kMemoryV2Version;
      const Return code = fn.device_get_memory_info_v2(handle, &memory);
      if (code == nvml::kSuccess) {
        card.caps[kMemory].status = CapState::Status::on;
        return static_cast<double>(memory.used) / kBytesPerMib;
      }
      if (classify(code) != Outcome::unsupported || fn.device_get_memory_info == nullptr) {
        settle(card, kMemory, mig, code);
        return std::nullopt;
      }
      card.memory_v1 = true;  // an older driver: the v1 call, whose `used` includes reserved
    }
    nvml::Memory memory{};
    if (attempt(card, kMemory, mig, [&] { return fn.device_get_memory_info(handle, &memory); })) {
      return static_cast<double>(memory.used) / kBytesPerMib;
    }
    return std::nullopt;
  }

  // GPM works on this card (asked once).
  bool gpm_ready(Card& card) {
    CapState& state = card.caps[kGpm];
    if (card.lost || state.status == CapState::Status::off) return false;
    if (card.mig_on && fn.gpm_mig_sample_get == nullptr) {
      turn_off(card, kGpm, "nvmlGpmMigSampleGet missing from " + library.path());
      return false;
    }
    if (state.status == CapState::Status::on) return true;
    nvml::GpmSupport support{};
    support.version = nvml::kGpmSupportVersion;
    if (!settle(card, kGpm, false, fn.gpm_query_device_support(card.handle, &support))) {
      return false;
    }
    if (support.is_supported_device == 0) {
      turn_off(card, kGpm, "GPM not supported by this GPU (it needs Hopper or later)");
      return false;
    }
    return true;
  }

  // Takes a GPM sample of the instance and, from the second on, fills its activity over the
  // interval since the previous one.
  void read_gpm(Card& card, Instance& instance, InstanceSample& sample) {
    if (!gpm_ready(card)) return;
    nvml::GpmSample& current = instance.samples[static_cast<std::size_t>(instance.current)];
    if (current == nullptr && !settle(card, kGpm, false, fn.gpm_sample_alloc(&current))) {
      current = nullptr;
      return;
    }
    const Return code = card.mig_on ? fn.gpm_mig_sample_get(card.handle, instance.gi_id, current)
                                    : fn.gpm_sample_get(card.handle, current);
    if (!settle(card, kGpm, card.mig_on, code)) {
      instance.have_previous = false;
      return;
    }
    if (instance.have_previous) {
      nvml::GpmMetricsGet& request = *metrics;
      request.version = nvml::kGpmMetricsGetVersion;
      request.num_metrics = kActivityCount;
      request.sample1 = instance.samples[static_cast<std::size_t>(1 - instance.current)];
      request.sample2 = current;
      for (std::size_t i = 0; i < kActivityCount; ++i) {
        request.metrics[i] = nvml::GpmMetric{};
        request.metrics[i].metric_id = kGpmMetrics[i].id;
      }
      if (settle(card, kGpm, false, fn.gpm_metrics_get(&request))) {
        for (std::size_t i = 0; i < kActivityCount; ++i) {
          const nvml::GpmMetric& metric = request.metrics[i];
          // For the report: a metric counts as provided once any instance had it.
          if (card.gpm_returns[i] != nvml::kSuccess) card.gpm_returns[i] = metric.nvml_return;
          // NVML gives percent; GPM is known to overshoot 100 a little on MIG instances.
          if (metric.nvml_return == nvml::kSuccess && std::isfinite(metric.value)) {
            sample.activity[i] = std::clamp(metric.value / 100.0, 0.0, 1.0);
          }
        }
      }
    }
    instance.have_previous = true;
    instance.current = 1 - instance.current;
  }

  void fill_instance(Card& card, Instance& instance, InstanceSample& sample) {
    sample.gpu_i_id = static_cast<int>(instance.gi_id);
    sample.profile.assign(instance.profile);
    sample.compute_slices = instance.compute_slices;
    sample.memory_slices = instance.memory_slices;
    sample.activity.fill(std::nullopt);
    sample.workload.clear();
    sample.truth_power_w.reset();
    sample.fb_used_mib = read_memory_mib(card, instance.handles.front(), card.mig_on);
    read_gpm(card, instance, sample);
    const auto gr_engine = static_cast<std::size_t>(Activity::gr_engine);
    if (!card.mig_on && !sample.activity[gr_engine]) {  // without GPM: the older duty cycle
      nvml::Utilization utilization{};
      if (attempt(card, kUtilization, false,
                  [&] { return fn.device_get_utilization_rates(card.handle, &utilization); })) {
        sample.activity[gr_engine] = std::min(utilization.gpu / 100.0, 1.0);
      }
    }
  }

  void fill(Card& card, Frame& frame) {
    frame.timestamp_s = now;
    frame.timestamp_text.assign(stamp.data(), stamp_length);
    frame.gpu_uuid.assign(card.uuid);
    frame.gpu_model.assign(card.name);
    unsigned long long energy = 0;
    frame.energy_mj =
        attempt(card, kEnergy, false,
                [&] { return fn.device_get_total_energy_consumption(card.handle, &energy); })
            ? std::optional<double>(static_cast<double>(energy))
            : std::nullopt;
    frame.power_w.reset();
    if (options.power == PowerReading::interval) {
      frame.power_w = card.interval_power.next(now, frame.energy_mj);
    }
    if (!frame.power_w) frame.power_w = read_power(card);
    const auto read_unsigned = [&](Cap cap, auto&& call, double scale) -> std::optional<double> {
      unsigned value = 0;
      if (attempt(card, cap, false, [&] { return call(&value); })) return value * scale;
      return std::nullopt;
    };
    frame.power_limit_w = read_unsigned(
        kPowerLimit,
        [&](unsigned* v) { return fn.device_get_power_management_limit(card.handle, v); }, 1e-3);
    frame.sm_clock_mhz = read_unsigned(
        kSmClock,
        [&](unsigned* v) { return fn.device_get_clock_info(card.handle, nvml::kClockSm, v); }, 1.0);
    frame.mem_clock_mhz = read_unsigned(
        kMemClock,
        [&](unsigned* v) { return fn.device_get_clock_info(card.handle, nvml::kClockMem, v); },
        1.0);
    frame.temperature_c = read_unsigned(
        kTemperature,
        [&](unsigned* v) {
          return fn.device_get_temperature(card.handle, nvml::kTemperatureGpu, v);
        },
        1.0);
    frame.instances.resize(card.instances.size());
    for (std::size_t i = 0; i < card.instances.size() && !card.lost; ++i) {
      fill_instance(card, card.instances[i], frame.instances[i]);
    }
    processes.clear();
    process_sample_counts.clear();
    if (collect_processes) read_processes(card);
  }

  // The process `pid` of this frame, added (with no values yet) when new.
  ProcessSample& process_entry(const Card& card, unsigned pid) {
    const auto found = std::find_if(processes.begin(), processes.end(),
                                    [pid](const ProcessSample& p) { return p.pid == pid; });
    if (found != processes.end()) return *found;
    ProcessSample& entry = processes.emplace_back();
    process_sample_counts.push_back(0);
    entry.timestamp_s = now;
    entry.timestamp_text.assign(stamp.data(), stamp_length);
    entry.gpu_uuid = card.uuid;
    entry.pid = pid;
    return entry;
  }

  // Which processes run on the card and where: on MIG one call per MIG device (the card's own
  // handle answers only with privileges), else one on the card. False when the card is lost or
  // its layout changed under us.
  bool read_running_processes(Card& card) {
    for (const Instance& instance : card.instances) {
      for (const Device handle : instance.handles) {
        if (card.caps[kProcesses].status == CapState::Status::off) return true;
        unsigned count = 0;
        const Return code =
            fill_buffer(card.process_buffer, count, [&](nvml::ProcessInfo* infos, unsigned* n) {
              return fn.device_get_compute_running_processes_v3(handle, n, infos);
            });
        if (code == nvml::kErrorNotFound) continue;  // no process here
        if (!settle(card, kProcesses, card.mig_on, code)) {
          if (card.lost || card.layout_stale) return false;
          continue;
        }
        for (unsigned i = 0; i < count; ++i) {
          const nvml::ProcessInfo& info = card.process_buffer[i];
          ProcessSample& entry = process_entry(card, info.pid);
          if (card.mig_on) {
            entry.gpu_i_id =
                static_cast<int>(info.gpu_instance_id != nvml::kNoInstanceId ? info.gpu_instance_id
                                                                             : instance.gi_id);
          }
          if (info.used_gpu_memory != nvml::kValueNotAvailable) {
            entry.used_memory_bytes = info.used_gpu_memory;
          }
        }
      }
    }
    return true;
  }

  // The driver's utilization samples newer than the last one read, averaged per process. "Not
  // found" means no new sample: an answer, not a failure.
  void read_process_utilization(Card& card) {
    if (card.lost || card.caps[kProcessUtilization].status == CapState::Status::off) return;
    const unsigned long long since = card.last_utilization_us;
    unsigned count = 0;
    const Return code = fill_buffer(
        card.utilization_buffer, count, [&](nvml::ProcessUtilizationSample* samples, unsigned* n) {
          return fn.device_get_process_utilization(card.handle, samples, n, since);
        });
    if (code == nvml::kErrorNotFound) {
      card.caps[kProcessUtilization].status = CapState::Status::on;
      return;
    }
    if (!settle(card, kProcessUtilization, false, code)) return;
    for (unsigned i = 0; i < count; ++i) {
      const nvml::ProcessUtilizationSample& sample = card.utilization_buffer[i];
      if (sample.time_stamp <= since) continue;  // already read
      card.last_utilization_us = std::max(card.last_utilization_us, sample.time_stamp);
      ProcessSample& entry = process_entry(card, sample.pid);
      const auto index = static_cast<std::size_t>(&entry - processes.data());
      entry.sm_util_pct = entry.sm_util_pct.value_or(0.0) + sample.sm_util;
      entry.mem_util_pct = entry.mem_util_pct.value_or(0.0) + sample.mem_util;
      ++process_sample_counts[index];
    }
    for (std::size_t i = 0; i < processes.size(); ++i) {
      if (process_sample_counts[i] > 1) {
        const auto samples = static_cast<double>(process_sample_counts[i]);
        *processes[i].sm_util_pct /= samples;
        *processes[i].mem_util_pct /= samples;
      }
    }
  }

  // Names from nvmlSystemGetProcessName; a pid also seen in the card's previous frame keeps the
  // name found then (one call per process, not per process per frame).
  void name_processes(Card& card) {
    std::array<char, nvml::kProcessNameBufferSize> text{};
    for (ProcessSample& process : processes) {
      const auto known =
          std::find_if(card.process_names.begin(), card.process_names.end(),
                       [&](const auto& entry) { return entry.first == process.pid; });
      if (known != card.process_names.end()) {
        process.name = known->second;
      } else if (fn.system_get_process_name != nullptr) {
        text.fill('\0');
        if (fn.system_get_process_name(process.pid, text.data(), text.size()) == nvml::kSuccess) {
          process.name = text.data();
        }
      }
    }
    card.process_names.clear();
    for (const ProcessSample& process : processes) {
      card.process_names.emplace_back(process.pid, process.name);
    }
  }

  void read_processes(Card& card) {
    if (card.lost || !read_running_processes(card)) return;
    read_process_utilization(card);
    if (card.lost) return;
    name_processes(card);
    std::sort(processes.begin(), processes.end(),
              [](const ProcessSample& a, const ProcessSample& b) {
                return std::pair(a.gpu_i_id.value_or(-1), a.pid) <
                       std::pair(b.gpu_i_id.value_or(-1), b.pid);
              });
  }

  // One card's frame; false when the card is lost (its frame is skipped).
  bool read_card(Card& card, Frame& frame) {
    card.layout_stale = false;
    fill(card, frame);
    if (!card.lost && card.layout_stale) {  // an instance vanished under us: read the new layout
      refresh_layout(card);
      if (!card.lost) fill(card, frame);
    }
    return !card.lost;
  }

  void start_tick(double time) {
    now = time;
    const auto result =
        std::to_chars(stamp.data(), stamp.data() + stamp.size(), now, std::chars_format::fixed, 3);
    stamp_length = static_cast<std::size_t>(result.ptr - stamp.data());
    cursor = 0;
    maintain();
  }

  SourceReport report();
  [[nodiscard]] CardReport card_report(const Card& card) const;

  NvmlSourceOptions options;
  LiveClock& clock;
  IntervalPacer pacer;
  nvml::Library library;
  const nvml::Functions& fn;
  std::unique_ptr<nvml::GpmMetricsGet> metrics;  // 13 KB, reused by every GPM reading
  bool initialized = false;
  std::vector<Card> cards;
  std::map<std::string, Caps> remembered;  // by UUID
  std::vector<std::string> known_uuids;    // every GPU seen: re-discovery looks for all of them

  // Per-process reading: on with options.processes, and while report() probes.
  bool collect_processes = false;
  // By UUID, the newest process sample read before a re-discovery.
  std::map<std::string, unsigned long long> remembered_utilization_us;
  std::vector<ProcessSample> processes;  // of the frame last filled
  // Utilization samples summed into each process of `processes`, to average them.
  std::vector<unsigned> process_sample_counts;

  double now = 0.0;
  std::array<char, 48> stamp{};
  std::size_t stamp_length = 0;
  std::size_t cursor = 0;  // next card to hand out in this tick
  bool rediscovery_due = false;
  double next_rediscovery_s = 0.0;
  double backoff_s;
  std::uint64_t rediscoveries = 0;
  std::uint64_t layout_changes = 0;
};

SourceReport NvmlSource::State::report() {
  SourceReport report;
  report.source = "nvml";
  report.available = true;
  std::array<char, nvml::kDriverVersionBufferSize> driver{};
  if (fn.system_get_driver_version != nullptr &&
      fn.system_get_driver_version(driver.data(), driver.size()) == nvml::kSuccess) {
    report.detail = "driver " + std::string(driver.data()) + ", ";
  }
  report.detail += library.path();
  if (!library.missing_symbols().empty()) {
    std::string names;
    for (const std::string& name : library.missing_symbols()) {
      names += (names.empty() ? "" : ", ") + name;
    }
    report.notes.emplace_back("optional NVML functions missing: " + names);
  }
  // Two readings: GPM metrics need a pair of samples. Processes too, to say what they offer.
  Frame scratch;
  collect_processes = true;
  start_tick(clock.now_s());
  for (Card& card : cards) read_card(card, scratch);
  clock.sleep_until(clock.now_s() + 0.1, nullptr);
  start_tick(clock.now_s());
  for (Card& card : cards) read_card(card, scratch);
  collect_processes = options.processes;
  processes.clear();
  cursor = cards.size();  // the next call to next() starts a fresh tick
  if (rediscovery_due) report.notes.emplace_back("a GPU was lost while probing");
  for (const Card& card : cards) report.cards.push_back(card_report(card));
  return report;
}

CardReport NvmlSource::State::card_report(const Card& card) const {
  CardReport out;
  out.uuid = card.uuid;
  out.model = card.name;
  out.mig = card.mig_note;
  for (const Instance& instance : card.instances) {
    if (!card.mig_on) break;
    InstanceReport item;
    item.gpu_i_id = static_cast<int>(instance.gi_id);
    item.compute_instance_ids.assign(instance.ci_ids.begin(), instance.ci_ids.end());
    item.profile = instance.profile;
    item.compute_slices = instance.compute_slices;
    item.memory_slices = instance.memory_slices;
    item.memory_mib = instance.memory_mib;
    out.instances.push_back(std::move(item));
  }
  const auto provision = [&](std::string_view field, Cap cap, std::string how = {}) {
    const CapState& state = card.caps[cap];
    FieldProvision item{std::string(field), state.status == CapState::Status::on, {}};
    if (item.provided) {
      item.detail = how.empty() ? std::string(kCapCalls[cap]) : std::move(how);
    } else {
      item.detail = state.status == CapState::Status::off ? state.reason : "no answer yet";
    }
    out.fields.push_back(std::move(item));
  };
  out.fields.push_back({std::string(field::kGpuModel), !card.name.empty(),
                        card.name.empty() ? card.name_problem : "nvmlDeviceGetName"});
  const bool instant = card.caps[kPowerInstant].status == CapState::Status::on;
  const std::string reading = instant
                                  ? std::string(kCapCalls[kPowerInstant]) + ", instantaneous"
                                  : std::string(kCapCalls[kPowerAverage]) +
                                        " (instantaneous: " + card.caps[kPowerInstant].reason + ")";
  if (options.power == PowerReading::interval &&
      card.caps[kEnergy].status == CapState::Status::on) {
    provision(field::kPower, kEnergy,
              "mean over each frame from " + std::string(kCapCalls[kEnergy]) +
                  "; first frame: " + reading);
  } else {
    provision(field::kPower, instant ? kPowerInstant : kPowerAverage, reading);
  }
  provision(field::kEnergy, kEnergy);
  provision(field::kSmClock, kSmClock);
  provision(field::kMemClock, kMemClock);
  provision(field::kGpuTemp, kTemperature);
  provision(field::kPowerLimit, kPowerLimit);
  const CapState& gpm = card.caps[kGpm];
  for (std::size_t i = 0; i < kActivityCount; ++i) {
    FieldProvision item{std::string(kActivityFieldNames[i]), false, {}};
    const std::string metric(kGpmMetrics[i].name);
    if (gpm.status == CapState::Status::on && card.gpm_returns[i] == nvml::kSuccess) {
      item.provided = true;
      item.detail = "GPM " + metric + (card.mig_on ? " per GPU instance" : "");
    } else if (gpm.status == CapState::Status::on) {
      item.detail = card.gpm_returns[i] == kNoAnswerYet
                        ? "GPM " + metric + ": no answer yet"
                        : library.message("GPM " + metric, card.gpm_returns[i]);
    } else if (i == static_cast<std::size_t>(Activity::gr_engine) && !card.mig_on &&
               card.caps[kUtilization].status == CapState::Status::on) {
      item.provided = true;
      item.detail = "nvmlDeviceGetUtilizationRates (gpu %, no GPM: " + gpm.reason + ")";
    } else {
      item.detail = gpm.status == CapState::Status::off ? gpm.reason : "GPM: no answer yet";
    }
    out.fields.push_back(std::move(item));
  }
  provision(field::kFbUsed, kMemory,
            card.memory_v1 ? "nvmlDeviceGetMemoryInfo" : "nvmlDeviceGetMemoryInfo_v2");
  const auto process_item = [&](std::string name, Cap cap, std::string how, std::string_view why) {
    const CapState& state = card.caps[cap];
    FieldProvision item{std::move(name), state.status == CapState::Status::on, {}};
    if (item.provided) {
      item.detail = std::move(how);
    } else {
      item.detail =
          state.status == CapState::Status::off ? state.reason + std::string(why) : "no answer yet";
    }
    out.process_data.push_back(std::move(item));
  };
  process_item(card.mig_on ? "processes by GPU instance" : "processes (whole GPU)", kProcesses,
               std::string(kCapCalls[kProcesses]) + (card.mig_on ? " on each MIG device" : ""), {});
  process_item("per-process utilization", kProcessUtilization,
               std::string(kCapCalls[kProcessUtilization]) + " (SM and memory %)",
               card.mig_on ? " (usual with MIG on)" : "");
  return out;
}

NvmlSource::NvmlSource(NvmlSourceOptions options)
    : state_(std::make_unique<State>(std::move(options))) {
  state_->cursor = state_->cards.size();  // the first call to next() starts the first tick
}

NvmlSource::~NvmlSource() = default;

bool NvmlSource::next(Frame& out) {
  State& s = *state_;
  while (true) {
    while (s.cursor < s.cards.size()) {
      Card& card = s.cards[s.cursor++];
      if (!card.lost && s.read_card(card, out)) return true;
    }
    const std::optional<double> tick = s.pacer.wait();
    if (!tick) return false;
    s.start_tick(*tick);
  }
}

SourceReport NvmlSource::report() { return state_->report(); }

std::size_t NvmlSource::card_count() const { return state_->cards.size(); }

std::uint64_t NvmlSource::rediscoveries() const { return state_->rediscoveries; }

std::uint64_t NvmlSource::layout_changes() const { return state_->layout_changes; }

const std::vector<ProcessSample>& NvmlSource::processes() const { return state_->processes; }

SourceReport probe_nvml(const NvmlSourceOptions& options) {
  try {
    NvmlSource source(options);
    return source.report();
  } catch (const nvml::NvmlError& error) {
    SourceReport report;
    report.source = "nvml";
    report.available = false;
    std::string_view reason = error.what();
    if (reason.starts_with("nvml: ")) reason.remove_prefix(6);
    report.detail = std::string(reason);
    return report;
  }
}

}  // namespace migpower
