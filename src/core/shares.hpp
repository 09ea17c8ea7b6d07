#pragma once

#include <limits>
#include <vector>

namespace migpower {

// One instance's share of the card's measured power in one frame. power_w = static_w + dynamic_w.
struct InstanceShare {
  int gpu_i_id = 0;
  double power_w = 0.0;
  double static_w = 0.0;
  double dynamic_w = 0.0;
  // The method's own estimate of this instance's power before reconciliation to the measured
  // total (static share + unscaled dynamic estimate), NaN for methods that give weights, not
  // watts. Evaluation scores it as "before scaling".
  double estimate_w = std::numeric_limits<double>::quiet_NaN();
  // One standard deviation of power_w in W, NaN when the method gives no uncertainty.
  double sd_w = std::numeric_limits<double>::quiet_NaN();
};

// The split of one frame. When the frame has a measured power, the shares plus unattributed_w
// equal it exactly (to rounding); every share is non-negative.
struct FrameAttribution {
  bool has_power = false;  // false: the frame had no measured power, shares are empty
  double measured_w = 0.0;
  double static_w = 0.0;              // card's static power estimate used this frame
  double unattributed_w = 0.0;        // static power left unattributed (policy none), else 0
  std::vector<InstanceShare> shares;  // same order as Frame::instances
};

}  // namespace migpower
