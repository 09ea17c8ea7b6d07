#include "attribution/baselines.hpp"

#include <algorithm>

#include "attribution/slice_weight.hpp"

namespace migpower {

void EqualSplit::estimate(const Frame& /*frame*/, std::span<double> out) {
  std::fill(out.begin(), out.end(), 1.0);
}

void SliceSplit::estimate(const Frame& frame, std::span<double> out) {
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = slice_weight(frame.instances[i]);
}

void UtilizationSplit::estimate(const Frame& frame, std::span<double> out) {
  for (std::size_t i = 0; i < out.size(); ++i) {
    const InstanceSample& instance = frame.instances[i];
    out[i] = slice_weight(instance) * instance.get(field_).value_or(0.0);
  }
}

std::unique_ptr<DynamicEstimator> make_baseline(SplitMethod method, Activity utilization_field) {
  switch (method) {
    case SplitMethod::equal:
      return std::make_unique<EqualSplit>();
    case SplitMethod::slices:
      return std::make_unique<SliceSplit>();
    case SplitMethod::utilization:
      break;
  }
  return std::make_unique<UtilizationSplit>(utilization_field);
}

}  // namespace migpower
