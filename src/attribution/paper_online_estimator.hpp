#pragma once

#include <span>
#include <string_view>

#include "attribution/dynamic_estimator.hpp"
#include "attribution/static_power.hpp"
#include "model/workload_models.hpp"

namespace migpower {

// "paper-online": the paper's workload-specific online models (model/workload_models.hpp) as a
// dynamic split. Each instance's model learns from the frames where it runs alone, with target
// measured power − the catalog idle floor (the same floor the baselines subtract); the
// attributor then reconciles the estimates to the measured total, the paper's scaling step.
class PaperOnlineEstimator final : public DynamicEstimator {
 public:
  explicit PaperOnlineEstimator(WorkloadModelSettings settings = {});
  void estimate(const Frame& frame, std::span<double> out) override;
  [[nodiscard]] std::string_view name() const override { return "paper-online"; }
  [[nodiscard]] bool estimates_watts() const override { return true; }
  [[nodiscard]] const WorkloadModels& models() const { return models_; }

 private:
  WorkloadModels models_;
  IdleFloorEstimator idle_floor_;  // its own copy: estimators must not share mutable state
};

}  // namespace migpower
