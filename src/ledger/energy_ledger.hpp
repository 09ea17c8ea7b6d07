#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/frame.hpp"
#include "core/shares.hpp"

namespace migpower {

// Energy held by one instance over the frames seen so far.
struct InstanceEnergy {
  std::string gpu_uuid;
  int gpu_i_id = 0;
  std::string profile;
  std::string workload;  // last non-empty label seen
  double energy_j = 0.0;
  double static_energy_j = 0.0;
  double dynamic_energy_j = 0.0;
  std::optional<double> truth_energy_j;  // integrated truth_power_w, where the source has it
  std::size_t frames = 0;
  double power_sum_w = 0.0;  // for mean power: power_sum_w / frames
  double peak_power_w = 0.0;
};

// Energy of one card: what was measured, and what was left unattributed.
struct CardEnergy {
  std::string gpu_uuid;
  std::string gpu_model;
  double energy_j = 0.0;
  double unattributed_j = 0.0;
  std::size_t frames = 0;
  std::size_t frames_without_power = 0;
  std::size_t counter_intervals = 0;  // intervals integrated from the energy counter
  std::size_t power_intervals = 0;    // intervals integrated from power x time
  double first_timestamp_s = 0.0;
  double last_timestamp_s = 0.0;
};

// Integrates attributed power into energy, per card and per instance, so that the instances'
// energy (plus the card's unattributed energy) sums to the card's energy. The card's energy
// over an interval comes from its energy counter where present and sane, else from power x time;
// each instance gets the interval's card energy times its share of the frame that ends it.
class EnergyLedger {
 public:
  // Adds one frame and its attribution (shares in frame.instances order). Frames of one GPU
  // must come in time order; a timestamp going back, or not finite, throws InputError and
  // records nothing.
  void add(const Frame& frame, const FrameAttribution& attribution);

  [[nodiscard]] const std::vector<CardEnergy>& cards() const { return cards_; }
  [[nodiscard]] const std::vector<InstanceEnergy>& instances() const { return instances_; }

  // The last added frame's interval: its energy per watt of measured power (interval_j /
  // measured_w), so that a part of the frame's power of w watts gets w x this joules, as each
  // instance does; 0 when the frame closed no interval or measured 0 W. And the interval's
  // length in seconds, 0 when it closed none. For splitting the instances' energy further
  // (ledger/process_ledger.hpp).
  [[nodiscard]] double last_joules_per_watt() const { return last_joules_per_watt_; }
  [[nodiscard]] double last_interval_s() const { return last_interval_s_; }

 private:
  // Where the next interval of one GPU starts: its last frame with power.
  struct GpuState {
    std::size_t card = 0;  // index into cards_
    bool has_anchor = false;
    double anchor_timestamp_s = 0.0;
    double anchor_power_w = 0.0;
    std::optional<double> anchor_energy_mj;
    std::vector<std::pair<int, std::size_t>> current;  // gpu_i_id -> index into instances_
  };
  GpuState& state_for(const Frame& frame);
  std::size_t instance_for(GpuState& gpu, const Frame& frame, std::size_t i);

  std::vector<CardEnergy> cards_;
  std::vector<InstanceEnergy> instances_;
  std::vector<GpuState> gpus_;  // parallel to cards_
  double last_joules_per_watt_ = 0.0;
  double last_interval_s_ = 0.0;
};

}  // namespace migpower
