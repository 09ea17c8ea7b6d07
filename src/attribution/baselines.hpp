#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "attribution/attribution.hpp"
#include "attribution/dynamic_estimator.hpp"

namespace migpower {

// The same estimate (1) for every instance.
class EqualSplit final : public DynamicEstimator {
 public:
  void estimate(const Frame& frame, std::span<double> out) override;
  [[nodiscard]] std::string_view name() const override { return "equal"; }
};

// Compute slices held.
class SliceSplit final : public DynamicEstimator {
 public:
  void estimate(const Frame& frame, std::span<double> out) override;
  [[nodiscard]] std::string_view name() const override { return "slices"; }
};

// Compute slices x one activity field (a fraction of the instance's own resources, so the
// product is the fraction of the card's compute it keeps busy). A missing field counts as 0.
class UtilizationSplit final : public DynamicEstimator {
 public:
  explicit UtilizationSplit(Activity field = Activity::gr_engine) : field_(field) {}
  void estimate(const Frame& frame, std::span<double> out) override;
  [[nodiscard]] std::string_view name() const override { return "utilization"; }
  [[nodiscard]] Activity field() const { return field_; }

 private:
  Activity field_;
};

// The baseline for a split method.
[[nodiscard]] std::unique_ptr<DynamicEstimator> make_baseline(SplitMethod method,
                                                              Activity utilization_field);

}  // namespace migpower
