#include "attribution/attributor.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "attribution/baselines.hpp"
#include "attribution/idle_policy.hpp"
#include "attribution/reconcile.hpp"
#include "attribution/slice_weight.hpp"

namespace migpower {

Attributor::Attributor(AttributionOptions options) : Attributor(options, nullptr, nullptr) {}

Attributor::Attributor(AttributionOptions options, std::unique_ptr<DynamicEstimator> dynamic,
                       std::unique_ptr<StaticPowerEstimator> static_power)
    : options_(options), dynamic_(std::move(dynamic)), static_power_(std::move(static_power)) {
  if (!dynamic_) dynamic_ = make_baseline(options_.method, options_.utilization_field);
  if (!static_power_) static_power_ = std::make_unique<IdleFloorEstimator>();
}

Attributor::Attributor(AttributionOptions options, std::unique_ptr<FrameModel> frame_model)
    : Attributor(options, nullptr, nullptr) {
  frame_model_ = std::move(frame_model);
}

Attributor::~Attributor() = default;
Attributor::Attributor(Attributor&&) noexcept = default;
Attributor& Attributor::operator=(Attributor&&) noexcept = default;

void Attributor::attribute(const Frame& frame, FrameAttribution& out) {
  out.shares.clear();
  out.measured_w = 0.0;
  out.static_w = 0.0;
  out.unattributed_w = 0.0;
  // A negative or non-finite reading is a sensor glitch, not a measurement.
  out.has_power =
      frame.power_w.has_value() && std::isfinite(*frame.power_w) && *frame.power_w >= 0.0;
  if (!out.has_power) return;

  const double measured = *frame.power_w;
  double static_estimate = 0.0;
  if (frame_model_) {
    frame_model_->estimate(frame, frame_estimate_);
    static_estimate = std::isfinite(frame_estimate_.static_w) ? frame_estimate_.static_w : 0.0;
  } else {
    static_estimate = static_power_->estimate(frame);
  }
  const double static_w = std::clamp(static_estimate, 0.0, measured);
  const double dynamic_w = std::max(measured - static_w, 0.0);
  out.measured_w = measured;
  out.static_w = static_w;

  const std::size_t n = frame.instances.size();
  if (n == 0) {
    out.unattributed_w = measured;  // nobody to give it to: the operator's
    // A card without instances still shows its static power: the model learns from it.
    if (frame_model_) frame_model_->finish(frame, FrameSplit{measured, static_w, {}, {}}, {});
    return;
  }

  estimates_.resize(n);
  fallback_.resize(n);
  static_weights_.resize(n);
  static_parts_.resize(n);
  dynamic_parts_.resize(n);
  for (std::size_t i = 0; i < n; ++i) fallback_[i] = slice_weight(frame.instances[i]);

  static_weights(options_.idle_policy, options_.utilization_field, frame, static_weights_);
  if (options_.idle_policy == IdlePolicy::none) {
    std::fill(static_parts_.begin(), static_parts_.end(), 0.0);
    out.unattributed_w = static_w;
  } else {
    distribute(static_w, static_weights_, fallback_, static_parts_);
  }

  if (frame_model_) {
    const auto& model_estimates = frame_estimate_.dynamic_w;
    for (std::size_t i = 0; i < n; ++i) {
      estimates_[i] = i < model_estimates.size() ? model_estimates[i] : 0.0;
    }
  } else {
    dynamic_->estimate(frame, estimates_);
  }
  // An idle card (all estimates 0) still draws dynamic power: split it by slices.
  distribute(dynamic_w, estimates_, fallback_, dynamic_parts_);

  if (frame_model_) {
    static_fraction_.resize(n);
    dynamic_fraction_.resize(n);
    sd_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      static_fraction_[i] = static_w > 0.0 ? static_parts_[i] / static_w : 0.0;
      dynamic_fraction_[i] = dynamic_w > 0.0 ? dynamic_parts_[i] / dynamic_w : 0.0;
    }
    frame_model_->finish(frame, FrameSplit{measured, static_w, static_fraction_, dynamic_fraction_},
                         sd_);
  }

  const bool watts = frame_model_ ? true : dynamic_->estimates_watts();
  constexpr double kNoEstimate = std::numeric_limits<double>::quiet_NaN();
  out.shares.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    InstanceShare& share = out.shares[i];
    share.gpu_i_id = frame.instances[i].gpu_i_id;
    share.static_w = static_parts_[i];
    share.dynamic_w = dynamic_parts_[i];
    share.power_w = share.static_w + share.dynamic_w;
    share.estimate_w = watts ? static_parts_[i] + std::max(estimates_[i], 0.0) : kNoEstimate;
    share.sd_w = frame_model_ ? sd_[i] : kNoEstimate;
  }
}

}  // namespace migpower
