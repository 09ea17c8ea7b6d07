// How field values are read into the cards and frames (see dcgm_frames.hpp): the slot each value
// fills, the instance it belongs to, and the copy into a Frame shaped like the trace reader's.
#include "sources/dcgm/dcgm_frames.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>

#include "sources/dcgm/dcgm_fields.hpp"
#include "sources/dcgm/dcgm_read.hpp"
#include "sources/dcgm/dcgm_recovery.hpp"

namespace migpower::dcgm_source {
namespace {

using dcgm::EntityPair;
using dcgm::FieldValue;

// The instance behind s.instance_entities[i] (built in card order, instance order).
DcgmInstance* instance_at(State& s, std::size_t i) {
  for (DcgmCard& card : s.cards) {
    if (i < card.instances.size()) return &card.instances[i];
    i -= card.instances.size();
  }
  return nullptr;
}

DcgmInstance* find_instance(State& s, const FieldValue& value, std::size_t hint) {
  if (hint < s.instance_entities.size()) {
    const EntityPair& expected = s.instance_entities[hint];
    if (expected.entity_group == value.entity_group && expected.entity_id == value.entity_id) {
      return instance_at(s, hint);
    }
  }
  for (std::size_t i = 0; i < s.instance_entities.size(); ++i) {
    if (s.instance_entities[i].entity_group == value.entity_group &&
        s.instance_entities[i].entity_id == value.entity_id) {
      return instance_at(s, i);
    }
  }
  return nullptr;
}

}  // namespace

bool read_values(State& s) {
  for (DcgmCard& card : s.cards) {
    card.values.fill(std::nullopt);
    card.problems.fill("no value returned");
    for (DcgmInstance& instance : card.instances) {
      instance.values.fill(std::nullopt);
      instance.problems.fill(s.profiling ? "no value returned" : s.profiling_problem);
    }
  }
  if (!settle(s, "dcgmEntitiesGetLatestValues(card fields)",
              read_latest(s, s.card_entities, s.card_field_ids, 0))) {
    return false;
  }
  for (const FieldValue& value : s.values) {
    const auto card = find_card(s, value);
    const auto slot = card_slot(value.field_id);
    if (!card || !slot) continue;
    s.cards[*card].values[*slot] = numeric(value, s.cards[*card].problems[*slot]);
  }
  if (s.instance_entities.empty()) return true;
  if (!settle(s, "dcgmEntitiesGetLatestValues(instance fields)",
              read_latest(s, s.instance_entities, s.instance_field_ids, 0))) {
    return false;
  }
  for (std::size_t i = 0; i < s.values.size(); ++i) {
    const FieldValue& value = s.values[i];
    const auto slot = instance_slot(value.field_id);
    DcgmInstance* instance = find_instance(s, value, i / s.instance_field_ids.size());
    if (!slot || instance == nullptr) continue;
    if (value.status == dcgm::kInstanceNotFound) s.layout_check_due = true;
    std::optional<double> number = numeric(value, instance->problems[*slot]);
    // DCGM's ratios may overshoot 1 by a rounding error; the trace holds fractions 0..1.
    if (number && *slot < kActivityCount) number = std::min(*number, 1.0);
    instance->values[*slot] = number;
  }
  return true;
}

void fill_frame(const State& s, const DcgmCard& card, Frame& frame) {
  frame.timestamp_s = s.now;
  frame.timestamp_text.assign(s.stamp.data(), s.stamp_length);
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

}  // namespace migpower::dcgm_source
