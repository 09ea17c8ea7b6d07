#pragma once

#include "core/frame.hpp"

namespace migpower {

// An instance's weight by compute slices held. An instance whose slices are unknown (0) counts
// as one slice, so it is never silently left out of a split.
[[nodiscard]] inline double slice_weight(const InstanceSample& instance) {
  return instance.compute_slices > 0 ? static_cast<double>(instance.compute_slices) : 1.0;
}

}  // namespace migpower
