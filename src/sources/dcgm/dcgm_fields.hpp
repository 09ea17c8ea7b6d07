// The DCGM fields the source watches and the slots their values fill: the card's fields on the
// GPU entity, then each instance's activity fractions and FB_USED. The watches, the tick's values
// and the report all index by these slots, so the tables live in this one header.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "core/fields.hpp"
#include "sources/dcgm/dcgm_api.hpp"

namespace migpower::dcgm_source {

// The card's fields, watched on the GPU entity, in the order of their slots.
enum CardSlot : std::size_t { kPower, kEnergy, kSmClock, kMemClock, kTemperature, kPowerLimit };
inline constexpr std::size_t kCardSlotCount = 6;
inline constexpr std::array<unsigned short, kCardSlotCount> kCardFieldIds = {
    dcgm::field_id::kPowerUsage, dcgm::field_id::kTotalEnergy, dcgm::field_id::kSmClock,
    dcgm::field_id::kMemClock,   dcgm::field_id::kGpuTemp,     dcgm::field_id::kPowerMgmtLimit,
};
inline constexpr std::array<std::string_view, kCardSlotCount> kCardFieldNames = {
    field::kPower,    field::kEnergy,  field::kSmClock,
    field::kMemClock, field::kGpuTemp, field::kPowerLimit,
};

// An instance's fields: the activity fractions (slots 0..7, Activity order), then FB_USED.
inline constexpr std::size_t kFbSlot = kActivityCount;
inline constexpr std::size_t kInstanceSlotCount = kActivityCount + 1;
static_assert(dcgm::field_id::kProfPipeFp16Active - dcgm::field_id::kProfGrEngineActive + 1 ==
              kActivityCount);

// The slot a card field fills, or none for a field the card does not watch.
[[nodiscard]] inline std::optional<std::size_t> card_slot(unsigned short id) {
  for (std::size_t i = 0; i < kCardSlotCount; ++i) {
    if (kCardFieldIds[i] == id) return i;
  }
  return std::nullopt;
}

// The slot an instance field fills, or none for a field the instances do not watch.
[[nodiscard]] inline std::optional<std::size_t> instance_slot(unsigned short id) {
  if (id >= dcgm::field_id::kProfGrEngineActive && id <= dcgm::field_id::kProfPipeFp16Active) {
    return id - dcgm::field_id::kProfGrEngineActive;
  }
  if (id == dcgm::field_id::kFbUsed) return kFbSlot;
  return std::nullopt;
}

}  // namespace migpower::dcgm_source
