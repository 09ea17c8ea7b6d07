#pragma once

#include <algorithm>
#include <array>

#include "core/fields.hpp"

namespace migpower {

// The eight DCGM profiling fields of one instance, indexed by Activity, as fractions 0..1.
using ActivityVector = std::array<double, kActivityCount>;

[[nodiscard]] constexpr double& at(ActivityVector& a, Activity k) {
  return a[static_cast<std::size_t>(k)];
}
[[nodiscard]] constexpr double at(const ActivityVector& a, Activity k) {
  return a[static_cast<std::size_t>(k)];
}

// Clamps to 0..1 and keeps DCGM's nesting: an SM is active only while the graphics engine is,
// and occupancy and pipe activity are averaged over all cycles, so none exceeds SM activity.
inline void make_consistent(ActivityVector& a) {
  for (double& v : a) v = std::clamp(v, 0.0, 1.0);
  double& sm = at(a, Activity::sm);
  sm = std::min(sm, at(a, Activity::gr_engine));
  for (Activity k :
       {Activity::sm_occupancy, Activity::tensor, Activity::fp64, Activity::fp32, Activity::fp16}) {
    at(a, k) = std::min(at(a, k), sm);
  }
}

}  // namespace migpower
