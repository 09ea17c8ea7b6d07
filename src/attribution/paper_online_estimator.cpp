#include "attribution/paper_online_estimator.hpp"

#include <cmath>

namespace migpower {

PaperOnlineEstimator::PaperOnlineEstimator(WorkloadModelSettings settings) : models_(settings) {}

void PaperOnlineEstimator::estimate(const Frame& frame, std::span<double> out) {
  const bool has_power =
      frame.power_w.has_value() && std::isfinite(*frame.power_w) && *frame.power_w >= 0.0;
  const double static_w = has_power ? idle_floor_.estimate(frame) : 0.0;
  models_.estimate_and_learn(frame, static_w, out);
}

}  // namespace migpower
