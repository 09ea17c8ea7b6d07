#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/fields.hpp"
#include "core/frame.hpp"
#include "core/shares.hpp"

namespace migpower {

// How the card's static (idle-floor) power is shared among instances.
enum class IdlePolicy {
  slices,  // by compute slices held: a tenant holding 3/7 of the card holds it idle too
  active,  // evenly among instances that are active in this frame
  none,    // not attributed: left to the operator as the card's remainder
};

// How the card's dynamic power is split before reconciliation (the baselines of issue 2).
enum class SplitMethod {
  equal,        // same share for every instance
  slices,       // by compute slices
  utilization,  // by compute slices x an activity field (default GR_ENGINE_ACTIVE)
};

[[nodiscard]] std::string_view to_string(IdlePolicy policy);
[[nodiscard]] std::string_view to_string(SplitMethod method);
// Throw InputError naming the accepted values.
[[nodiscard]] IdlePolicy parse_idle_policy(std::string_view text);
[[nodiscard]] SplitMethod parse_split_method(std::string_view text);

struct AttributionOptions {
  SplitMethod method = SplitMethod::utilization;
  IdlePolicy idle_policy = IdlePolicy::slices;
  Activity utilization_field = Activity::gr_engine;
};

}  // namespace migpower
