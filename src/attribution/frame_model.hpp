#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "core/frame.hpp"

namespace migpower {

// What a frame model estimates for one frame, before reconciliation to the measured power.
struct FrameEstimate {
  double static_w = 0.0;          // the card's static power; the Attributor clamps it to [0, P]
  std::vector<double> dynamic_w;  // per instance (Frame::instances order), unscaled W, >= 0
};

// How the Attributor split the frame, so the model can say how uncertain each share is:
//   share_i = static_fraction[i] * static_w + dynamic_fraction[i] * (measured_w - static_w)
// (static fractions sum to 1, or are all 0 when the static power is left unattributed; dynamic
// fractions sum to 1).
struct FrameSplit {
  double measured_w = 0.0;
  double static_w = 0.0;  // after clamping
  std::span<const double> static_fraction;
  std::span<const double> dynamic_fraction;
};

// One model that estimates both a frame's static power and each instance's dynamic power, in
// watts, from one fit (the online model: its static estimate is part of the same regression).
// An alternative to a DynamicEstimator + StaticPowerEstimator pair. Per frame with a measured
// power the Attributor calls estimate(), reconciles, then finish() with the same frame.
class FrameModel {
 public:
  virtual ~FrameModel() = default;
  // Fills `out` (dynamic_w sized to the frame's instances) from what was learnt before this
  // frame. Non-const: per-GPU state is created on first sight.
  virtual void estimate(const Frame& frame, FrameEstimate& out) = 0;
  // Writes one standard deviation (W) of each instance's reconciled share into sd_w (one entry
  // per instance), then learns from the frame's measured power.
  virtual void finish(const Frame& frame, const FrameSplit& split, std::span<double> sd_w) = 0;
  [[nodiscard]] virtual std::string_view name() const = 0;
};

}  // namespace migpower
