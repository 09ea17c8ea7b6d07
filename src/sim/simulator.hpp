#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/frame.hpp"

namespace migpower {

struct SimulationOptions {
  std::string scenario = "mixed";
  std::uint64_t seed = 1;
  double duration_s = 600.0;
  double interval_s = 1.0;                  // frame period
  double start_timestamp_s = 1767225600.0;  // 2026-01-01T00:00:00Z
  // The card's physics (sim/physics_family.hpp): "nominal" is docs/simulator.md's card;
  // "random" draws every unknown from physics_seed; other names vary one axis.
  std::string physics = "nominal";
  std::uint64_t physics_seed = 1;
};

struct ScenarioInfo {
  std::string name;
  std::string description;
};

// The named scenarios, in a fixed order.
[[nodiscard]] std::span<const ScenarioInfo> simulator_scenarios();

// A simulated MIG card (docs/simulator.md): frames as a trace reader would give them, plus each
// instance's ground-truth power. The same options always give the same frames.
class Simulator : public FrameSource {
 public:
  // Throws InputError for an unknown scenario (the message lists the names), a duration or
  // interval that is not positive, or a duration shorter than one interval.
  explicit Simulator(SimulationOptions options);
  ~Simulator() override;
  Simulator(Simulator&& other) noexcept;
  Simulator& operator=(Simulator&& other) noexcept;
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  // Frame k (from 0) is stamped start + k * interval and reports the interval that ends there.
  bool next(Frame& out) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace migpower
