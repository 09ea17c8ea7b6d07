#pragma once

namespace migpower::test {

// The trace contract's full header, in the writer's column order, spelt out here on purpose:
// a change to the contract must show up as a change to this text.
inline constexpr const char* kContractHeader =
    "timestamp,gpu_uuid,gpu_model,gpu_i_id,gpu_i_profile,workload,truth_power_w,"
    "DCGM_FI_DEV_POWER_USAGE,DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION,DCGM_FI_DEV_SM_CLOCK,"
    "DCGM_FI_DEV_MEM_CLOCK,DCGM_FI_DEV_GPU_TEMP,DCGM_FI_DEV_POWER_MGMT_LIMIT,"
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE,DCGM_FI_PROF_SM_ACTIVE,DCGM_FI_PROF_SM_OCCUPANCY,"
    "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE,DCGM_FI_PROF_DRAM_ACTIVE,DCGM_FI_PROF_PIPE_FP64_ACTIVE,"
    "DCGM_FI_PROF_PIPE_FP32_ACTIVE,DCGM_FI_PROF_PIPE_FP16_ACTIVE,DCGM_FI_DEV_FB_USED\n";

}  // namespace migpower::test
