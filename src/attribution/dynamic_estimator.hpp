#pragma once

#include <span>
#include <string_view>

#include "core/frame.hpp"

namespace migpower {

// Estimates each instance's dynamic power in one frame, before reconciliation. Estimates are
// weights or watts: only their ratios matter, since reconciliation scales them to the measured
// dynamic power. Baselines and model-based methods (linear, ridge, online RLS) implement it.
class DynamicEstimator {
 public:
  virtual ~DynamicEstimator() = default;
  // Writes one estimate per frame.instances entry (out.size() == frame.instances.size()).
  // Estimates should be non-negative; negative or non-finite ones count as 0. Non-const so
  // that online models may learn from the frames they see.
  virtual void estimate(const Frame& frame, std::span<double> out) = 0;
  [[nodiscard]] virtual std::string_view name() const = 0;
  // True when estimates are watts (models), so the unscaled estimate is worth reporting;
  // false for weights (baselines).
  [[nodiscard]] virtual bool estimates_watts() const { return false; }
};

}  // namespace migpower
