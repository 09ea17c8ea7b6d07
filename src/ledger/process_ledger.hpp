#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/frame.hpp"
#include "core/process_shares.hpp"
#include "ledger/energy_ledger.hpp"

namespace migpower {

// Energy held by one process in one instance over the frames it was seen in. Keyed by
// (gpu_uuid, gpu_i_id, profile, pid, name): a pid the system reused for another program is
// another row, and so is a process in an instance that a layout change replaced.
struct ProcessEnergy {
  std::string gpu_uuid;
  int gpu_i_id = 0;
  std::string profile;  // its instance's
  unsigned pid = 0;
  std::string name;
  double energy_j = 0.0;
  double static_energy_j = 0.0;
  double dynamic_energy_j = 0.0;
  std::size_t frames = 0;    // frames with power it was in (only those count as seen)
  double power_sum_w = 0.0;  // for mean power: power_sum_w / frames
  double seconds = 0.0;      // length of the intervals closed by the frames it was in
  double first_seen_s = 0.0;
  double last_seen_s = 0.0;

  [[nodiscard]] double mean_power_w() const {
    return frames > 0 ? power_sum_w / static_cast<double>(frames) : 0.0;
  }
};

// One instance's energy, as EnergyLedger counts it, and the part of it no process held.
struct InstanceProcessEnergy {
  std::string gpu_uuid;
  int gpu_i_id = 0;
  std::string profile;
  double energy_j = 0.0;                   // the instance's energy over the frames added here
  double unassigned_j = 0.0;               // "no process": frames in which none ran there
  std::size_t frames_without_process = 0;  // frames with power
};

// Integrates each frame's per-process split (attribution/process_split.hpp) into energy the
// way EnergyLedger integrates the instances' shares: a part of w watts of a frame gets
// w x EnergyLedger::last_joules_per_watt() joules. So, per instance, the processes' energy plus
// its unassigned energy equals the instance's energy in EnergyLedger (to rounding), and, with the
// card's unattributed energy, the card's measured energy.
class ProcessLedger {
 public:
  // Call right after energy.add(frame, attribution), with the split of that frame and
  // attribution. A frame without power adds nothing but its ignored processes: it has no shares
  // (the next frame with power closes an interval that spans it, as in EnergyLedger).
  void add(const Frame& frame, const FrameProcessSplit& split, const EnergyLedger& energy);

  [[nodiscard]] const std::vector<ProcessEnergy>& processes() const { return processes_; }
  [[nodiscard]] const std::vector<InstanceProcessEnergy>& instances() const { return instances_; }
  // Processes of the frames added that could not be placed in an instance (FrameProcessSplit).
  [[nodiscard]] std::size_t ignored() const { return ignored_; }

 private:
  // (gpu_uuid, gpu_i_id, profile, pid, name); looked up by views, without copying a string.
  using Key = std::tuple<std::string, int, std::string, unsigned, std::string>;
  using KeyView = std::tuple<std::string_view, int, std::string_view, unsigned, std::string_view>;
  struct KeyLess {
    using is_transparent = void;
    static KeyView view(const KeyView& key) { return key; }
    static KeyView view(const Key& key) {
      return {std::get<0>(key), std::get<1>(key), std::get<2>(key), std::get<3>(key),
              std::get<4>(key)};
    }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return view(a) < view(b);
    }
  };

  std::size_t process_for(const Frame& frame, const ProcessShare& share);
  std::size_t instance_for(const Frame& frame, std::size_t index);

  std::vector<ProcessEnergy> processes_;
  std::vector<InstanceProcessEnergy> instances_;
  std::map<Key, std::size_t, KeyLess> index_;  // into processes_
  std::size_t ignored_ = 0;
};

}  // namespace migpower
