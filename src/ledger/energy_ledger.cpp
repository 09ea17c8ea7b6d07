#include "ledger/energy_ledger.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/error.hpp"

namespace migpower {
namespace {

// A counter delta above 2 x (the larger power) x dt, plus what the larger power draws in one
// second (counter and power are sampled at slightly different moments), plus 10 J, is not
// energy but a counter wrap or reset.
constexpr double kCounterPowerFactor = 2.0;
constexpr double kCounterLagS = 1.0;
constexpr double kCounterSlackJ = 10.0;

}  // namespace

EnergyLedger::GpuState& EnergyLedger::state_for(const Frame& frame) {
  for (GpuState& gpu : gpus_) {
    if (cards_[gpu.card].gpu_uuid == frame.gpu_uuid) return gpu;
  }
  CardEnergy card;
  card.gpu_uuid = frame.gpu_uuid;
  card.gpu_model = frame.gpu_model;
  card.first_timestamp_s = frame.timestamp_s;
  card.last_timestamp_s = frame.timestamp_s;
  cards_.push_back(std::move(card));
  GpuState gpu;
  gpu.card = cards_.size() - 1;
  gpus_.push_back(std::move(gpu));
  return gpus_.back();
}

std::size_t EnergyLedger::instance_for(GpuState& gpu, const Frame& frame, std::size_t i) {
  const InstanceSample& sample = frame.instances[i];
  auto it = std::find_if(gpu.current.begin(), gpu.current.end(),
                         [&](const auto& entry) { return entry.first == sample.gpu_i_id; });
  // Same id, same profile: the same instance. A new profile on the id (a layout change) is a
  // new instance, with its own entry.
  if (it != gpu.current.end() && instances_[it->second].profile == sample.profile) {
    return it->second;
  }
  InstanceEnergy entry;
  entry.gpu_uuid = frame.gpu_uuid;
  entry.gpu_i_id = sample.gpu_i_id;
  entry.profile = sample.profile;
  instances_.push_back(std::move(entry));
  const std::size_t index = instances_.size() - 1;
  if (it != gpu.current.end()) {
    it->second = index;
  } else {
    gpu.current.emplace_back(sample.gpu_i_id, index);
  }
  return index;
}

void EnergyLedger::add(const Frame& frame, const FrameAttribution& attribution) {
  if (attribution.has_power && attribution.shares.size() != frame.instances.size()) {
    throw std::invalid_argument("attribution does not match the frame's instances");
  }
  // Checked before any state changes: a NaN or infinite time would poison every later interval.
  if (!std::isfinite(frame.timestamp_s)) {
    throw InputError("frame of GPU " + frame.gpu_uuid + " has a non-finite timestamp");
  }
  GpuState& gpu = state_for(frame);
  CardEnergy& card = cards_[gpu.card];
  if (card.frames > 0 && frame.timestamp_s < card.last_timestamp_s) {
    throw InputError("frames of GPU " + frame.gpu_uuid +
                     " out of time order: " + std::to_string(frame.timestamp_s) + " after " +
                     std::to_string(card.last_timestamp_s));
  }
  last_joules_per_watt_ = 0.0;
  last_interval_s_ = 0.0;
  if (!frame.gpu_model.empty()) card.gpu_model = frame.gpu_model;
  if (card.frames == 0) card.first_timestamp_s = frame.timestamp_s;
  card.last_timestamp_s = frame.timestamp_s;
  ++card.frames;

  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    InstanceEnergy& entry = instances_[instance_for(gpu, frame, i)];
    if (!frame.instances[i].workload.empty()) entry.workload = frame.instances[i].workload;
  }
  if (!attribution.has_power) {
    // No energy now; the next frame with power integrates across this one.
    ++card.frames_without_power;
    return;
  }

  const double measured = attribution.measured_w;
  double interval_j = 0.0;
  double dt = 0.0;
  const bool has_interval = gpu.has_anchor;
  if (has_interval) {
    dt = frame.timestamp_s - gpu.anchor_timestamp_s;
    bool from_counter = false;
    if (gpu.anchor_energy_mj && frame.energy_mj) {
      const double delta_j = (*frame.energy_mj - *gpu.anchor_energy_mj) / 1000.0;
      const double max_power = std::max(measured, gpu.anchor_power_w);
      const double limit =
          kCounterPowerFactor * max_power * dt + max_power * kCounterLagS + kCounterSlackJ;
      if (std::isfinite(delta_j) && delta_j >= 0.0 && delta_j <= limit) {
        interval_j = delta_j;
        from_counter = true;
      }
    }
    if (!from_counter) interval_j = measured * dt;
    last_interval_s_ = dt;
    if (measured > 0.0) last_joules_per_watt_ = interval_j / measured;
    ++(from_counter ? card.counter_intervals : card.power_intervals);
    card.energy_j += interval_j;
    // Each part gets the interval's energy in proportion to its share of this frame's power;
    // a frame measuring 0 W has no proportions, so a counter's energy stays unattributed.
    card.unattributed_j +=
        measured > 0.0 ? interval_j * (attribution.unattributed_w / measured) : interval_j;
  }

  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    const InstanceSample& sample = frame.instances[i];
    const InstanceShare& share = attribution.shares[i];
    InstanceEnergy& entry = instances_[instance_for(gpu, frame, i)];
    ++entry.frames;
    entry.power_sum_w += share.power_w;
    entry.peak_power_w = std::max(entry.peak_power_w, share.power_w);
    if (sample.truth_power_w) {
      entry.truth_energy_j = entry.truth_energy_j.value_or(0.0) + *sample.truth_power_w * dt;
    }
    if (has_interval && measured > 0.0) {
      const double scale = last_joules_per_watt_;
      entry.energy_j += share.power_w * scale;
      entry.static_energy_j += share.static_w * scale;
      entry.dynamic_energy_j += share.dynamic_w * scale;
    }
  }

  gpu.has_anchor = true;
  gpu.anchor_timestamp_s = frame.timestamp_s;
  gpu.anchor_power_w = measured;
  gpu.anchor_energy_mj = frame.energy_mj;
}

}  // namespace migpower
