#include "model/features.hpp"

#include <algorithm>
#include <cmath>

namespace migpower {
namespace {

double activity(const InstanceSample& instance, Activity a) {
  const auto value = instance.get(a);
  if (!value || !std::isfinite(*value)) return 0.0;  // missing is "not reported", count as idle
  return std::clamp(*value, 0.0, 1.0);
}

std::vector<std::string> build_feature_names() {
  const std::array<std::string, kComputeTermCount> compute = {
      "GR_ENGINE_ACTIVE",     "SM_ACTIVE",          "SM_ACTIVE^2",
      "SM_OCCUPANCY",         "PIPE_TENSOR_ACTIVE", "PIPE_TENSOR_ACTIVE^2",
      "PIPE_FP64_ACTIVE",     "PIPE_FP32_ACTIVE",   "PIPE_FP16_ACTIVE",
      "SM_ACTIVE*DRAM_ACTIVE"};
  std::vector<std::string> names;
  names.reserve(2 * compute.size() + 2);
  for (const auto& name : compute) names.push_back(name + "*r");
  for (const auto& name : compute) names.push_back(name + "*r3");
  names.emplace_back("DRAM_ACTIVE");
  names.emplace_back("DRAM_ACTIVE^2");
  return names;
}

}  // namespace

std::span<const std::string> feature_names() {
  static const std::vector<std::string> kNames = build_feature_names();
  return kNames;
}

std::span<const std::string> static_feature_names() {
  static const std::vector<std::string> kNames = {"1", "t", "t^2", "r"};
  return kNames;
}

FeatureExtractor::GpuState& FeatureExtractor::state_for(const Frame& frame) {
  for (auto& gpu : gpus_) {
    if (gpu.uuid == frame.gpu_uuid) {
      if (gpu.model_name != frame.gpu_model) {  // same UUID, new name: trust the new one
        gpu.model_name = frame.gpu_model;
        gpu.model = find_gpu_model(frame.gpu_model);
      }
      return gpu;
    }
  }
  GpuState& gpu = gpus_.emplace_back();
  gpu.uuid = frame.gpu_uuid;
  gpu.model_name = frame.gpu_model;
  gpu.model = find_gpu_model(frame.gpu_model);
  return gpu;
}

CardContext FeatureExtractor::card(const Frame& frame) {
  GpuState& gpu = state_for(frame);
  CardContext card;
  card.model = gpu.model;
  if (gpu.model != nullptr) {
    card.compute_slices = gpu.model->compute_slices;
    card.memory_slices = gpu.model->memory_slices;
    card.sm_count = gpu.model->sm_count;
  }
  if (frame.sm_clock_mhz && std::isfinite(*frame.sm_clock_mhz) && *frame.sm_clock_mhz > 0.0) {
    // Uncatalogued cards: the highest clock seen stands in for the maximum.
    gpu.max_clock_seen_mhz = std::max(gpu.max_clock_seen_mhz, *frame.sm_clock_mhz);
    const double max_clock =
        gpu.model != nullptr ? gpu.model->max_sm_clock_mhz : gpu.max_clock_seen_mhz;
    card.clock_ratio = std::clamp(*frame.sm_clock_mhz / max_clock, 0.0, 1.5);
  }
  if (frame.temperature_c && std::isfinite(*frame.temperature_c)) {
    card.temperature_c = *frame.temperature_c;
  }
  return card;
}

double FeatureExtractor::compute_share(const CardContext& card, const InstanceSample& instance) {
  if (card.model != nullptr && card.sm_count > 0) {
    const MigProfile* profile = card.model->find_profile(instance.profile);
    if (profile != nullptr && profile->sm_count > 0) {
      return static_cast<double>(profile->sm_count) / card.sm_count;
    }
  }
  // No MIG profile (a whole card) or unknown SM counts: by compute slices; a whole card is 1.
  if (instance.compute_slices <= 0 || instance.profile.empty()) return 1.0;
  return std::min(1.0, static_cast<double>(instance.compute_slices) / card.compute_slices);
}

double FeatureExtractor::memory_share(const CardContext& card, const InstanceSample& instance) {
  if (instance.profile.empty()) return 1.0;
  if (instance.memory_slices > 0 && card.memory_slices > 0) {
    return std::min(1.0, static_cast<double>(instance.memory_slices) / card.memory_slices);
  }
  return compute_share(card, instance);
}

void FeatureExtractor::instance_features(const CardContext& card, const InstanceSample& instance,
                                         std::span<double, kFeatureCount> out) {
  const double sc = compute_share(card, instance);
  const double ms = memory_share(card, instance);
  const double gr = activity(instance, Activity::gr_engine);
  const double sm = activity(instance, Activity::sm);
  const double tensor = activity(instance, Activity::tensor);
  const double dram = activity(instance, Activity::dram);
  const std::array<double, kComputeTermCount> compute = {gr,
                                                         sm,
                                                         sm * sm,
                                                         activity(instance, Activity::sm_occupancy),
                                                         tensor,
                                                         tensor * tensor,
                                                         activity(instance, Activity::fp64),
                                                         activity(instance, Activity::fp32),
                                                         activity(instance, Activity::fp16),
                                                         sm * dram};
  const double r = card.clock_ratio;
  const double r3 = r * r * r;
  for (std::size_t k = 0; k < kComputeTermCount; ++k) {
    out[k] = sc * compute[k] * r;
    out[kComputeTermCount + k] = sc * compute[k] * r3;
  }
  out[2 * kComputeTermCount] = ms * dram;
  out[2 * kComputeTermCount + 1] = ms * dram * dram;
}

void FeatureExtractor::static_features(const CardContext& card,
                                       std::span<double, kStaticFeatureCount> out) {
  const double t = (card.temperature_c - 30.0) / 50.0;
  out[0] = 1.0;
  out[1] = t;
  out[2] = t * t;
  out[3] = card.clock_ratio;
}

}  // namespace migpower
