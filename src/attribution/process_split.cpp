#include "attribution/process_split.hpp"

#include <limits>
#include <stdexcept>

#include "attribution/reconcile.hpp"

namespace migpower {
namespace {

constexpr std::size_t kNoInstance = std::numeric_limits<std::size_t>::max();

// The index of the instance a process runs in, or kNoInstance.
std::size_t place(const Frame& frame, const ProcessSample& process) {
  if (!process.gpu_i_id) return frame.instances.size() == 1 ? 0 : kNoInstance;
  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    if (frame.instances[i].gpu_i_id == *process.gpu_i_id) return i;
  }
  return kNoInstance;
}

}  // namespace

void ProcessSplitter::split(const Frame& frame, const FrameAttribution& attribution,
                            std::span<const ProcessSample> processes, FrameProcessSplit& out) {
  if (attribution.has_power && attribution.shares.size() != frame.instances.size()) {
    throw std::invalid_argument("attribution does not match the frame's instances");
  }
  out.has_power = attribution.has_power;
  out.processes.clear();
  out.instances.clear();
  out.ignored = 0;
  placed_.resize(processes.size());
  for (std::size_t p = 0; p < processes.size(); ++p) {
    placed_[p] = place(frame, processes[p]);
    if (placed_[p] == kNoInstance) ++out.ignored;
  }
  if (!attribution.has_power) return;

  out.instances.resize(frame.instances.size());
  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    const InstanceShare& share = attribution.shares[i];
    InstanceProcessSplit& instance = out.instances[i];
    instance.gpu_i_id = frame.instances[i].gpu_i_id;
    instance.power_w = share.power_w;
    members_.clear();
    for (std::size_t p = 0; p < processes.size(); ++p) {
      if (placed_[p] == i) members_.push_back(p);
    }
    instance.processes = members_.size();
    if (members_.empty()) {
      instance.unassigned_w = share.power_w;
      continue;
    }
    instance.unassigned_w = 0.0;
    const std::size_t n = members_.size();
    equal_.assign(n, 1.0);
    utilization_.resize(n);
    for (std::size_t m = 0; m < n; ++m) {
      // Missing counts 0: the driver leaves out processes that were not busy.
      utilization_[m] = processes[members_[m]].sm_util_pct.value_or(0.0);
    }
    static_parts_.resize(n);
    dynamic_parts_.resize(n);
    distribute(share.static_w, equal_, equal_, static_parts_);
    // No utilization at all, or all of it 0: distribute falls back to the equal weights.
    distribute(share.dynamic_w, utilization_, equal_, dynamic_parts_);
    for (std::size_t m = 0; m < n; ++m) {
      const ProcessSample& process = processes[members_[m]];
      ProcessShare& part = out.processes.emplace_back();
      part.gpu_uuid = frame.gpu_uuid;
      part.gpu_i_id = instance.gpu_i_id;
      part.instance = i;
      part.pid = process.pid;
      part.name = process.name;
      part.static_w = static_parts_[m];
      part.dynamic_w = dynamic_parts_[m];
    }
  }
}

}  // namespace migpower
