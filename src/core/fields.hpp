#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace migpower {

// Per-instance DCGM profiling fields, each a fraction 0..1 of the instance's own resources.
enum class Activity : std::size_t {
  gr_engine,  // DCGM_FI_PROF_GR_ENGINE_ACTIVE
  sm,         // DCGM_FI_PROF_SM_ACTIVE
  sm_occupancy,
  tensor,
  dram,
  fp64,
  fp32,
  fp16,
};
inline constexpr std::size_t kActivityCount = 8;

// DCGM field names, exactly as dcgm-exporter exports them (the trace contract's headers).
inline constexpr std::array<std::string_view, kActivityCount> kActivityFieldNames = {
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE", "DCGM_FI_PROF_SM_ACTIVE",
    "DCGM_FI_PROF_SM_OCCUPANCY",     "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
    "DCGM_FI_PROF_DRAM_ACTIVE",      "DCGM_FI_PROF_PIPE_FP64_ACTIVE",
    "DCGM_FI_PROF_PIPE_FP32_ACTIVE", "DCGM_FI_PROF_PIPE_FP16_ACTIVE",
};

[[nodiscard]] constexpr std::string_view field_name(Activity a) {
  return kActivityFieldNames[static_cast<std::size_t>(a)];
}

// The name without its "DCGM_FI_PROF_" prefix, e.g. "GR_ENGINE_ACTIVE".
[[nodiscard]] constexpr std::string_view short_field_name(Activity a) {
  return field_name(a).substr(std::string_view("DCGM_FI_PROF_").size());
}

// Accepts the full DCGM name or its short form ("GR_ENGINE_ACTIVE", "sm", "tensor", ...).
[[nodiscard]] std::optional<Activity> parse_activity(std::string_view name);

namespace field {
inline constexpr std::string_view kTimestamp = "timestamp";
inline constexpr std::string_view kGpuUuid = "gpu_uuid";
inline constexpr std::string_view kGpuModel = "gpu_model";
inline constexpr std::string_view kGpuInstanceId = "gpu_i_id";
inline constexpr std::string_view kGpuInstanceProfile = "gpu_i_profile";
inline constexpr std::string_view kWorkload = "workload";
inline constexpr std::string_view kTruthPower = "truth_power_w";
inline constexpr std::string_view kPower = "DCGM_FI_DEV_POWER_USAGE";                // W
inline constexpr std::string_view kEnergy = "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION";  // mJ
inline constexpr std::string_view kSmClock = "DCGM_FI_DEV_SM_CLOCK";                 // MHz
inline constexpr std::string_view kMemClock = "DCGM_FI_DEV_MEM_CLOCK";               // MHz
inline constexpr std::string_view kGpuTemp = "DCGM_FI_DEV_GPU_TEMP";                 // C
inline constexpr std::string_view kPowerLimit = "DCGM_FI_DEV_POWER_MGMT_LIMIT";      // W
inline constexpr std::string_view kFbUsed = "DCGM_FI_DEV_FB_USED";                   // MiB
}  // namespace field

}  // namespace migpower
