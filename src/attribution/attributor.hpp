#pragma once

#include "attribution/attribution.hpp"
#include "core/frame.hpp"
#include "core/shares.hpp"

namespace migpower {

// Splits each frame's measured card power among its instances: static power by the idle
// policy, dynamic power by the split method, then reconciled to the measured total.
// Keeps per-GPU state (e.g. the lowest power seen, for GPU models not in the catalog).
class Attributor {
 public:
  explicit Attributor(AttributionOptions options);

  void attribute(const Frame& frame, FrameAttribution& out);

  [[nodiscard]] const AttributionOptions& options() const { return options_; }

 private:
  AttributionOptions options_;
  // Implementation state is added by src/attribution/attributor.cpp.
};

}  // namespace migpower
