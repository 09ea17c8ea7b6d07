#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "attribution/attribution.hpp"
#include "attribution/dynamic_estimator.hpp"
#include "attribution/frame_model.hpp"
#include "attribution/static_power.hpp"
#include "core/frame.hpp"
#include "core/shares.hpp"

namespace migpower {

// Splits each frame's measured card power among its instances: static power by the idle
// policy, dynamic power by the split method, then reconciled to the measured total.
// Keeps per-GPU state (e.g. the lowest power seen, for GPU models not in the catalog).
// Move-only: estimators may hold learned state that must not be silently shared.
class Attributor {
 public:
  explicit Attributor(AttributionOptions options);
  // A model-based split (or a learned idle floor) in place of the baselines; a null pointer
  // keeps the baseline that `options` names.
  Attributor(AttributionOptions options, std::unique_ptr<DynamicEstimator> dynamic,
             std::unique_ptr<StaticPowerEstimator> static_power = nullptr);
  // One model estimating both the static power and each instance's dynamic power (the online
  // model); `options` still choose the idle policy. Shares then carry the model's uncertainty.
  Attributor(AttributionOptions options, std::unique_ptr<FrameModel> frame_model);
  ~Attributor();
  Attributor(Attributor&& other) noexcept;
  Attributor& operator=(Attributor&& other) noexcept;

  // Reuses out's storage: no heap allocation per frame once the largest frame has been seen.
  void attribute(const Frame& frame, FrameAttribution& out);

  [[nodiscard]] const AttributionOptions& options() const { return options_; }
  // The dynamic split in use ("equal", "slices", "utilization" or a model's name).
  // The frame model in use (the online model), or nullptr for estimator pairs: for saving and
  // restoring what it learnt (serve --state).
  [[nodiscard]] FrameModel* frame_model() { return frame_model_.get(); }
  [[nodiscard]] const FrameModel* frame_model() const { return frame_model_.get(); }

  [[nodiscard]] std::string_view method_name() const {
    return frame_model_ ? frame_model_->name() : dynamic_->name();
  }

 private:
  AttributionOptions options_;
  std::unique_ptr<DynamicEstimator> dynamic_;
  std::unique_ptr<StaticPowerEstimator> static_power_;
  std::unique_ptr<FrameModel> frame_model_;  // when set, replaces both estimators above
  FrameEstimate frame_estimate_;
  std::vector<double> estimates_;  // scratch, per instance
  std::vector<double> fallback_;   // compute slices, per instance
  std::vector<double> static_weights_;
  std::vector<double> static_parts_;
  std::vector<double> dynamic_parts_;
  std::vector<double> static_fraction_;  // for the frame model's uncertainty
  std::vector<double> dynamic_fraction_;
  std::vector<double> sd_;
};

}  // namespace migpower
