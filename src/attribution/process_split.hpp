#pragma once

#include <span>
#include <vector>

#include "core/frame.hpp"
#include "core/process_sample.hpp"
#include "core/process_shares.hpp"
#include "core/shares.hpp"

namespace migpower {

// Splits each instance's share of a frame among the processes running in it (the rows of the
// per-process side file at that frame; docs/attribution.md, "Per-process energy"):
//
// - Where a process runs: the instance whose gpu_i_id is the process's. A process without one
//   (MIG off) runs in the frame's only instance; when the frame has several instances it cannot
//   be placed and is ignored (counted). So is one naming an instance the frame does not have.
// - Static part of an instance's share: equally among its processes. Each holds a context and
//   memory on the instance, which keeps it powered whether busy or not.
// - Dynamic part: by sm_util_pct, where at least one of the instance's processes has a value; a
//   process without one counts 0, because the driver reports only processes that were busy. If
//   the values sum to 0, or none has a value (MIG: the driver gives no per-process utilization
//   there), equally.
// - An instance without processes keeps its share as unassigned ("no process").
//
// For each instance, the parts of its processes plus its unassigned watts equal its share, to
// one rounding. out.processes come grouped by instance (in Frame::instances order), each group in
// the order of the rows. A frame without power (attribution.has_power false) gets no parts; its
// processes are still placed, and the ignored ones counted. Reuses out's storage.
class ProcessSplitter {
 public:
  void split(const Frame& frame, const FrameAttribution& attribution,
             std::span<const ProcessSample> processes, FrameProcessSplit& out);

 private:
  std::vector<std::size_t> placed_;   // per process: its instance's index, or none
  std::vector<std::size_t> members_;  // the processes of the instance being split
  std::vector<double> utilization_;   // their SM utilization, 0 where missing
  std::vector<double> equal_;         // their equal weights
  std::vector<double> static_parts_;
  std::vector<double> dynamic_parts_;
};

}  // namespace migpower
