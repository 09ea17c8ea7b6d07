// How the cards and the MIG entity hierarchy are found (see dcgm_discovery.hpp): GPU instances
// from dcgmGetGpuInstanceHierarchy, their profiles from DCGM_FI_DEV_NAME, slices from the catalog.
#include "sources/dcgm/dcgm_discovery.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <utility>

#include "core/error.hpp"
#include "sources/dcgm/dcgm_read.hpp"
#include "sources/dcgm/dcgm_recovery.hpp"

namespace migpower::dcgm_source {
namespace {

using dcgm::EntityPair;
using dcgm::FieldValue;
using dcgm::Return;

constexpr unsigned short kMigModeField = 67;  // DCGM_FI_DEV_MIG_MODE: 1 when MIG is on

// DCGM names a GPU instance by its profile ("3g.20gb"); some versions prefix "MIG ".
std::string profile_from_name(std::string name) {
  constexpr std::string_view kPrefix = "MIG ";
  if (name.starts_with(kPrefix)) name.erase(0, kPrefix.size());
  return name;
}

// Profile names (DCGM_FI_DEV_NAME of a GPU instance) and the slices they hold.
void name_instances(State& s) {
  std::vector<EntityPair> entities;
  for (const DcgmCard& card : s.cards) {
    for (const DcgmInstance& instance : card.instances) entities.push_back(instance.entity);
  }
  if (entities.empty()) return;
  std::vector<unsigned short> fields = {dcgm::field_id::kName};
  const Return code = read_latest(s, entities, fields, dcgm::kFieldValueFlagLiveData);
  if (code != dcgm::kOk && classify(code) == Outcome::reconnect) {
    s.fail("dcgmEntitiesGetLatestValues(GPU instance names)", code);
  }
  for (DcgmCard& card : s.cards) {
    for (DcgmInstance& instance : card.instances) {
      if (code == dcgm::kOk) {
        for (const FieldValue& value : s.values) {
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

void read_hierarchy(State& s) {
  dcgm::MigHierarchy& h = *s.hierarchy;
  h.version = dcgm::kMigHierarchyVersion;
  h.count = 0;
  const Return code = s.fn.get_gpu_instance_hierarchy(s.handle, &h);
  if (code == dcgm::kNotSupported) return;  // no MIG anywhere
  if (code != dcgm::kOk) s.fail("dcgmGetGpuInstanceHierarchy", code);
  const std::size_t count = std::min<std::size_t>(h.count, dcgm::kMaxHierarchyInfo);
  // GPU instances first (a compute instance may be listed before its parent).
  for (std::size_t i = 0; i < count; ++i) {
    const dcgm::MigHierarchyInfo& item = h.entity_list[i];
    if (item.entity.entity_group != dcgm::kEntityGpuInstance ||
        item.parent.entity_group != dcgm::kEntityGpu) {
      continue;
    }
    auto card = std::find_if(s.cards.begin(), s.cards.end(),
                             [&](const DcgmCard& c) { return c.gpu_id == item.parent.entity_id; });
    if (card == s.cards.end()) continue;  // a GPU DCGM does not support
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
    for (DcgmCard& card : s.cards) {
      for (DcgmInstance& instance : card.instances) {
        if (instance.entity.entity_group == item.parent.entity_group &&
            instance.entity.entity_id == item.parent.entity_id) {
          instance.ci_ids.push_back(static_cast<int>(item.info.nvml_compute_instance_id));
        }
      }
    }
  }
  name_instances(s);
}

}  // namespace

void discover(State& s) {
  s.cards.clear();
  std::array<unsigned, dcgm::kMaxNumDevices> ids{};
  int count = 0;
  Return code = s.fn.get_all_supported_devices(s.handle, ids.data(), &count);
  if (code != dcgm::kOk) s.fail("dcgmGetAllSupportedDevices", code);
  if (count <= 0) {
    throw dcgm::DcgmError(dcgm::kGpuNotSupported,
                          "dcgm: the " + s.where() + " sees no GPU that DCGM supports");
  }
  count = std::min(count, dcgm::kMaxNumDevices);
  s.cards.resize(static_cast<std::size_t>(count));
  std::vector<EntityPair> entities;
  for (std::size_t i = 0; i < s.cards.size(); ++i) {
    s.cards[i].gpu_id = ids[i];
    entities.push_back({dcgm::kEntityGpu, ids[i]});
  }
  std::vector<unsigned short> fields = {dcgm::field_id::kName, dcgm::field_id::kUuid,
                                        kMigModeField};
  code = read_latest(s, entities, fields, dcgm::kFieldValueFlagLiveData);
  // Without names the cards are still usable: only a lost connection or GPU stops here.
  if (code != dcgm::kOk && classify(code) == Outcome::reconnect) {
    s.fail("dcgmEntitiesGetLatestValues(GPU names)", code);
  }
  std::vector<std::optional<bool>> mig_mode(s.cards.size());
  if (code != dcgm::kOk) s.values.clear();
  for (const FieldValue& value : s.values) {
    const auto card = find_card(s, value);
    if (!card) continue;
    if (value.field_id == dcgm::field_id::kName) s.cards[*card].name = text(value);
    if (value.field_id == dcgm::field_id::kUuid) s.cards[*card].uuid = text(value);
    if (value.field_id == kMigModeField) {
      std::string problem;
      if (const auto mode = numeric(value, problem)) mig_mode[*card] = *mode != 0.0;
    }
  }
  for (std::size_t i = 0; i < s.cards.size(); ++i) {
    s.cards[i].model = find_gpu_model(s.cards[i].name);
    s.cards[i].mig = mig_mode[i].value_or(false);
  }
  read_hierarchy(s);
  for (std::size_t i = 0; i < s.cards.size(); ++i) {
    DcgmCard& card = s.cards[i];
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

}  // namespace migpower::dcgm_source
