#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/frame.hpp"

namespace migpower {

// Estimates a card's static power (its idle floor) in one frame. An interface so that a learned
// idle floor (by temperature and clocks) can replace the baseline without touching the rest.
class StaticPowerEstimator {
 public:
  virtual ~StaticPowerEstimator() = default;
  // The static power in W for a frame that has a measured power; never more than that power,
  // never negative. Non-const: estimators may keep per-GPU state.
  [[nodiscard]] virtual double estimate(const Frame& frame) = 0;
  [[nodiscard]] virtual std::string_view name() const = 0;
};

// The baseline idle floor: the catalog's idle_w for known GPU models (a room-temperature,
// base-clock figure: its temperature dependence is not modelled), else the lowest power seen so
// far on that GPU (by gpu_uuid), as Kepler does. Either way clamped to the measured power.
class IdleFloorEstimator final : public StaticPowerEstimator {
 public:
  [[nodiscard]] double estimate(const Frame& frame) override;
  [[nodiscard]] std::string_view name() const override { return "idle-floor"; }

 private:
  struct GpuState {
    std::string uuid;
    std::string model_name;           // the name `model` was looked up from
    const GpuModel* model = nullptr;  // nullptr: not in the catalog
    double min_power_w = 0.0;         // lowest measured power, for uncatalogued models
    bool seen_power = false;
  };
  GpuState& state_for(const Frame& frame);

  std::vector<GpuState> gpus_;  // few GPUs per host: a linear search beats hashing the uuid
};

}  // namespace migpower
