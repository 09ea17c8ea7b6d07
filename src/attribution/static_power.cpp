#include "attribution/static_power.hpp"

#include <algorithm>

namespace migpower {

IdleFloorEstimator::GpuState& IdleFloorEstimator::state_for(const Frame& frame) {
  auto it = std::find_if(gpus_.begin(), gpus_.end(),
                         [&](const GpuState& s) { return s.uuid == frame.gpu_uuid; });
  if (it == gpus_.end()) {
    gpus_.push_back({frame.gpu_uuid, frame.gpu_model, find_gpu_model(frame.gpu_model), 0.0, false});
    return gpus_.back();
  }
  // The catalog lookup is cached per GPU; redo it only if the reported model name changes.
  if (it->model_name != frame.gpu_model) {
    it->model_name = frame.gpu_model;
    it->model = find_gpu_model(frame.gpu_model);
  }
  return *it;
}

double IdleFloorEstimator::estimate(const Frame& frame) {
  const double measured = std::max(frame.power_w.value_or(0.0), 0.0);
  GpuState& state = state_for(frame);
  // The running minimum is kept for every GPU, so it is ready if the model name changes.
  if (!state.seen_power || measured < state.min_power_w) state.min_power_w = measured;
  state.seen_power = true;
  const double floor = state.model != nullptr ? state.model->idle_w : state.min_power_w;
  return std::clamp(floor, 0.0, measured);
}

}  // namespace migpower
