#include "sources/interval_power.hpp"

#include <algorithm>

namespace migpower {

std::optional<double> IntervalPower::next(double timestamp_s, std::optional<double> energy_mj) {
  std::optional<double> mean_w;
  if (energy_mj && previous_energy_mj_ && timestamp_s > previous_timestamp_s_ &&
      *energy_mj >= *previous_energy_mj_) {
    mean_w = (*energy_mj - *previous_energy_mj_) / 1000.0 / (timestamp_s - previous_timestamp_s_);
  }
  previous_energy_mj_ = energy_mj;
  previous_timestamp_s_ = timestamp_s;
  return mean_w;
}

bool IntervalPowerSource::next(Frame& out) {
  if (!inner_.next(out)) return false;
  auto gpu = std::find_if(gpus_.begin(), gpus_.end(),
                          [&](const Gpu& known) { return known.uuid == out.gpu_uuid; });
  if (gpu == gpus_.end()) gpu = gpus_.insert(gpus_.end(), Gpu{out.gpu_uuid, {}});
  if (const auto mean_w = gpu->power.next(out.timestamp_s, out.energy_mj)) {
    out.power_w = mean_w;
    ++from_counter_;
  } else {
    ++kept_;
  }
  return true;
}

}  // namespace migpower
