#include "ledger/process_ledger.hpp"

#include <stdexcept>

namespace migpower {

std::size_t ProcessLedger::instance_for(const Frame& frame, std::size_t index) {
  const InstanceSample& sample = frame.instances[index];
  for (std::size_t i = 0; i < instances_.size(); ++i) {
    const InstanceProcessEnergy& entry = instances_[i];
    if (entry.gpu_i_id == sample.gpu_i_id && entry.profile == sample.profile &&
        entry.gpu_uuid == frame.gpu_uuid) {
      return i;
    }
  }
  InstanceProcessEnergy& entry = instances_.emplace_back();
  entry.gpu_uuid = frame.gpu_uuid;
  entry.gpu_i_id = sample.gpu_i_id;
  entry.profile = sample.profile;
  return instances_.size() - 1;
}

std::size_t ProcessLedger::process_for(const Frame& frame, const ProcessShare& share) {
  const std::string& profile = frame.instances[share.instance].profile;
  const KeyView key{frame.gpu_uuid, share.gpu_i_id, profile, share.pid, share.name};
  if (const auto found = index_.find(key); found != index_.end()) return found->second;
  ProcessEnergy& entry = processes_.emplace_back();
  entry.gpu_uuid = frame.gpu_uuid;
  entry.gpu_i_id = share.gpu_i_id;
  entry.profile = profile;
  entry.pid = share.pid;
  entry.name = share.name;
  entry.first_seen_s = frame.timestamp_s;
  entry.last_seen_s = frame.timestamp_s;
  index_.emplace(Key{entry.gpu_uuid, entry.gpu_i_id, entry.profile, entry.pid, entry.name},
                 processes_.size() - 1);
  return processes_.size() - 1;
}

void ProcessLedger::add(const Frame& frame, const FrameProcessSplit& split,
                        const EnergyLedger& energy) {
  ignored_ += split.ignored;
  if (!split.has_power) return;
  if (split.instances.size() != frame.instances.size()) {
    throw std::invalid_argument("process split does not match the frame's instances");
  }
  // The same scale as each instance's energy in EnergyLedger: watts of this frame to joules.
  const double joules_per_watt = energy.last_joules_per_watt();
  const double seconds = energy.last_interval_s();
  for (std::size_t i = 0; i < split.instances.size(); ++i) {
    const InstanceProcessSplit& part = split.instances[i];
    InstanceProcessEnergy& entry = instances_[instance_for(frame, i)];
    entry.energy_j += part.power_w * joules_per_watt;
    entry.unassigned_j += part.unassigned_w * joules_per_watt;
    if (part.processes == 0) ++entry.frames_without_process;
  }
  for (const ProcessShare& share : split.processes) {
    if (share.instance >= frame.instances.size()) {
      throw std::invalid_argument("process share names an instance the frame does not have");
    }
    ProcessEnergy& entry = processes_[process_for(frame, share)];
    entry.energy_j += share.power_w() * joules_per_watt;
    entry.static_energy_j += share.static_w * joules_per_watt;
    entry.dynamic_energy_j += share.dynamic_w * joules_per_watt;
    ++entry.frames;
    entry.power_sum_w += share.power_w();
    entry.seconds += seconds;
    entry.last_seen_s = frame.timestamp_s;
  }
}

}  // namespace migpower
