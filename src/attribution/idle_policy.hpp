#pragma once

#include <span>

#include "attribution/attribution.hpp"
#include "core/frame.hpp"

namespace migpower {

// Activity above this fraction counts as "active" for the active idle policy: low enough to
// catch a light job, high enough to ignore the monitoring noise of an idle instance.
inline constexpr double kActiveThreshold = 0.05;

// Active: the utilization field > kActiveThreshold or, when that field is missing, any activity
// field > kActiveThreshold.
[[nodiscard]] bool is_active(const InstanceSample& instance, Activity utilization_field);

// Weights for splitting the card's static power among the frame's instances (out.size() ==
// frame.instances.size()): slices -> compute slices; active -> 1 for each active instance, or
// compute slices when none is active; none -> all 0 (the static power stays unattributed).
void static_weights(IdlePolicy policy, Activity utilization_field, const Frame& frame,
                    std::span<double> out);

}  // namespace migpower
