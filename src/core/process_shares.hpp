#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace migpower {

// One process's part of its instance's share in one frame (attribution/process_split.hpp says
// how it is found). power = static_w + dynamic_w.
struct ProcessShare {
  std::string gpu_uuid;
  int gpu_i_id = 0;          // the instance the process runs in (its frame's id, MIG on or off)
  std::size_t instance = 0;  // that instance's index in Frame::instances and the shares
  unsigned pid = 0;
  std::string name;
  double static_w = 0.0;
  double dynamic_w = 0.0;

  [[nodiscard]] double power_w() const { return static_w + dynamic_w; }
};

// One instance's share as split among its processes.
struct InstanceProcessSplit {
  int gpu_i_id = 0;
  double power_w = 0.0;       // the instance's share of the frame (InstanceShare::power_w)
  double unassigned_w = 0.0;  // the part no process holds: all of it when none runs there
  std::size_t processes = 0;  // processes found in the instance
};

// The per-process split of one frame. When the frame has power, for each instance the parts of
// its processes plus its unassigned_w equal its share (to rounding), so the processes' watts
// plus every instance's unassigned watts plus the card's unattributed watts equal the measured
// power.
struct FrameProcessSplit {
  bool has_power = false;                       // false: no shares to split, everything is empty
  std::vector<ProcessShare> processes;          // in the order of the frame's process rows
  std::vector<InstanceProcessSplit> instances;  // same order as Frame::instances
  // Processes left out: on a MIG card, one without a GPU instance or with one the frame does
  // not have; any process of a frame without instances.
  std::size_t ignored = 0;
};

}  // namespace migpower
