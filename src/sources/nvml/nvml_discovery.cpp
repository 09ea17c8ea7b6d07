// GPU discovery and MIG layout tracking: which cards answer, what each can be asked, and which
// GPU instances (with their MIG device handles, profiles and slices) each card has now.
#include "sources/nvml/nvml_discovery.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <iterator>
#include <string_view>
#include <utility>

#include "core/catalog.hpp"
#include "sources/nvml/nvml_fields.hpp"
#include "sources/nvml/nvml_gpm.hpp"
#include "sources/nvml/nvml_processes.hpp"

namespace migpower::nvml {
namespace {

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

Discovery::Discovery(Session& session) : session_(session) {}

Discovery::~Discovery() { shutdown(); }

void Discovery::shutdown() {
  release_cards();
  if (initialized_) session_.fn.shutdown();
  initialized_ = false;
}

void Discovery::release_cards() {
  for (Card& card : cards_) {
    for (Instance& instance : card.instances) free_gpm_samples(session_, instance);
    remembered_[card.uuid] = {card.caps, card.last_utilization_us};
  }
  cards_.clear();
}

void Discovery::init_caps(Card& card) const {
  init_field_caps(session_, card);
  session_.require_symbol(card, kMig, session_.fn.device_get_mig_mode != nullptr,
                          "nvmlDeviceGetMigMode");
  init_process_caps(session_, card);
  init_gpm_caps(session_, card);
}

bool Discovery::discover(std::string& error, Return& code) {
  const Functions& fn = session_.fn;
  const Library& library = session_.library;
  release_cards();
  if (initialized_) fn.shutdown();
  initialized_ = false;
  code = fn.init_v2();
  if (code != kSuccess) {
    error = library.message("nvmlInit_v2", code);
    return false;
  }
  initialized_ = true;
  unsigned count = 0;
  code = fn.device_get_count_v2(&count);
  if (code != kSuccess) {
    error = library.message("nvmlDeviceGetCount_v2", code);
    return false;
  }
  std::string last_problem;
  for (unsigned index = 0; index < count; ++index) {
    Card card;
    card.index = index;
    code = fn.device_get_handle_by_index_v2(index, &card.handle);
    std::array<char, kDeviceUuidBufferSize> text{};
    if (code == kSuccess) code = fn.device_get_uuid(card.handle, text.data(), text.size());
    if (code != kSuccess) {
      last_problem = "GPU " + std::to_string(index) + ": " +
                     library.message("nvmlDeviceGetHandleByIndex_v2/GetUUID", code);
      session_.event("nvml: " + last_problem);
      continue;
    }
    card.uuid = text.data();
    if (fn.device_get_name == nullptr) {
      card.name_problem = "nvmlDeviceGetName missing from " + library.path();
    } else {
      text.fill('\0');
      const Return name_code = fn.device_get_name(card.handle, text.data(), text.size());
      if (name_code == kSuccess) {
        card.name = text.data();
      } else {
        card.name_problem = library.message("nvmlDeviceGetName", name_code);
      }
    }
    card.model = find_gpu_model(card.name);
    init_caps(card);
    if (const auto found = remembered_.find(card.uuid); found != remembered_.end()) {
      card.caps = found->second.caps;
      card.last_utilization_us = found->second.last_utilization_us;
    }
    if (std::find(known_uuids_.begin(), known_uuids_.end(), card.uuid) == known_uuids_.end()) {
      known_uuids_.push_back(card.uuid);
    }
    cards_.push_back(std::move(card));
  }
  for (Card& card : cards_) refresh_layout(card, /*count_change=*/false);
  if (cards_.empty()) {
    code = kErrorGpuNotFound;
    error = count == 0 ? "no NVIDIA GPU found" : "no GPU answered (" + last_problem + ")";
    return false;
  }
  return true;
}

bool Discovery::scan_layout(Card& card, bool& mig_on, std::string& note,
                            std::vector<Instance>& out) {
  const Functions& fn = session_.fn;
  const Library& library = session_.library;
  out.clear();
  mig_on = false;
  unsigned current = 0;
  unsigned pending = 0;
  if (session_.attempt(card, kMig, false,
                       [&] { return fn.device_get_mig_mode(card.handle, &current, &pending); })) {
    mig_on = current == kMigEnabled;
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
       {std::pair{fn.device_get_max_mig_device_count != nullptr, "nvmlDeviceGetMaxMigDeviceCount"},
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
  if (code != kSuccess) {
    if (classify(code) == Outcome::lost || classify(code) == Outcome::stale) {
      session_.mark_lost(card, library.message("nvmlDeviceGetMaxMigDeviceCount", code));
      return false;
    }
    note = "on, but " + library.message("nvmlDeviceGetMaxMigDeviceCount", code);
    return true;
  }
  for (unsigned slot = 0; slot < slots; ++slot) {
    Device mig = nullptr;
    code = fn.device_get_mig_device_handle_by_index(card.handle, slot, &mig);
    if (code == kErrorNotFound) continue;  // an empty slot
    unsigned gi = 0;
    if (code == kSuccess) code = fn.device_get_gpu_instance_id(mig, &gi);
    if (code != kSuccess) {
      if (classify(code) == Outcome::lost) {
        session_.mark_lost(card, library.message("nvmlDeviceGetMigDeviceHandleByIndex", code));
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

void Discovery::describe_instance(const Card& card, Device mig, Instance& instance) const {
  const Functions& fn = session_.fn;
  std::array<char, kDeviceNameBufferSize> name{};
  if (fn.device_get_name != nullptr &&
      fn.device_get_name(mig, name.data(), name.size()) == kSuccess) {
    instance.profile = profile_from_mig_name(name.data());
  }
  DeviceAttributes attributes{};
  const bool have_attributes = fn.device_get_attributes_v2 != nullptr &&
                               fn.device_get_attributes_v2(mig, &attributes) == kSuccess;
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

void Discovery::refresh_layout(Card& card, bool count_change) {
  card.next_layout_check_s = session_.now + session_.options.layout_check_interval_s;
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
  for (Instance& instance : card.instances) free_gpm_samples(session_, instance);
  card.instances = std::move(fresh);
  if (mig_on != card.mig_on && session_.fn.device_get_process_utilization != nullptr) {
    card.caps[kProcessUtilization] = {};  // refused with MIG on is no answer for MIG off
  }
  card.mig_on = mig_on;
  if (count_change) {
    ++layout_changes_;
    session_.event("nvml: " + card.uuid + ": layout changed from " + before + " to " +
                   describe_layout(card));
  }
}

void Discovery::maintain() {
  Rediscovery& rediscovery = session_.rediscovery;
  if (rediscovery.due && session_.now >= rediscovery.next_s) {
    ++rediscoveries_;
    std::string error;
    Return code = kSuccess;
    const bool found = discover(error, code);
    std::size_t missing = 0;
    for (const std::string& uuid : known_uuids_) {
      const bool present = std::any_of(cards_.begin(), cards_.end(),
                                       [&](const Card& card) { return card.uuid == uuid; });
      missing += present ? 0 : 1;
    }
    if (found && missing == 0) {
      rediscovery.due = false;
      session_.event("nvml: found all " + std::to_string(cards_.size()) + " GPUs again");
    } else {
      session_.event("nvml: re-discovery: " +
                     (found ? std::to_string(missing) + " GPUs still missing" : error) +
                     "; next try in " + std::to_string(rediscovery.backoff_s) + " s");
      rediscovery.next_s = session_.now + rediscovery.backoff_s;
      rediscovery.backoff_s =
          std::min(rediscovery.backoff_s * 2.0, session_.options.max_rediscovery_backoff_s);
    }
  }
  for (Card& card : cards_) {
    if (!card.lost && session_.now >= card.next_layout_check_s) refresh_layout(card);
  }
}

}  // namespace migpower::nvml
