#include "sources/nvml/nvml_api.hpp"

#include <utility>

namespace migpower::nvml {
namespace {

constexpr const char* kDefaultLibrary = "libnvidia-ml.so.1";

}  // namespace

std::string_view describe(Return code) {
  switch (code) {
    case kSuccess:
      return "success";
    case kErrorUninitialized:
      return "NVML is not initialized";
    case kErrorInvalidArgument:
      return "invalid argument (a stale handle, or a MIG instance that no longer exists)";
    case kErrorNotSupported:
      return "not supported by this GPU or driver";
    case kErrorNoPermission:
      return "no permission (run as root, or give this user access to /dev/nvidia*)";
    case kErrorAlreadyInitialized:
      return "NVML is already initialized";
    case kErrorNotFound:
      return "not found";
    case kErrorInsufficientSize:
      return "buffer too small";
    case kErrorInsufficientPower:
      return "the GPU's external power cables are not connected properly";
    case kErrorDriverNotLoaded:
      return "the NVIDIA kernel driver is not loaded";
    case kErrorTimeout:
      return "timed out";
    case kErrorIrqIssue:
      return "the kernel detected an interrupt problem with the GPU";
    case kErrorLibraryNotFound:
      return "the NVML library was not found (no NVIDIA driver installed?)";
    case kErrorFunctionNotFound:
      return "this driver's NVML lacks the function (driver too old?)";
    case kErrorCorruptedInforom:
      return "the GPU's infoROM is corrupted";
    case kErrorGpuIsLost:
      return "the GPU is lost (fell off the bus or stopped responding; it needs a reset)";
    case kErrorResetRequired:
      return "the GPU needs a reset";
    case kErrorOperatingSystem:
      return "the operating system refused the call";
    case kErrorLibRmVersionMismatch:
      return "NVML and the kernel driver are different versions (reload the driver or reboot)";
    case kErrorInUse:
      return "the GPU is in use";
    case kErrorMemory:
      return "out of memory";
    case kErrorNoData:
      return "no data yet";
    case kErrorVgpuEccNotSupported:
      return "not available with ECC enabled (vGPU)";
    case kErrorInsufficientResources:
      return "the driver ran out of resources";
    case kErrorFreqNotSupported:
      return "clock frequency not supported";
    case kErrorArgumentVersionMismatch:
      return "this driver does not accept the struct version (driver too old or too new?)";
    case kErrorDeprecated:
      return "deprecated by this driver";
    case kErrorNotReady:
      return "the system is not ready";
    case kErrorGpuNotFound:
      return "no GPU found";
    case kErrorInvalidState:
      return "the GPU is not in a state that allows this";
    case kErrorUnknown:
      return "unknown error inside the driver";
    default:
      return "unrecognized NVML error";
  }
}

std::string default_library_path() {
  return library_path_from_env("MIGPOWER_NVML_LIBRARY", kDefaultLibrary);
}

Library::Library(std::string path)
    : path_(path.empty() ? default_library_path() : std::move(path)), library_(path_) {
  if (!library_.is_open()) {
    const std::string& reason = library_.open_error();
    throw NvmlError(kErrorLibraryNotFound, "nvml: " + path_ + " not found (no NVIDIA driver?)" +
                                               (reason.empty() ? std::string() : ": " + reason));
  }
  Functions& f = functions_;
  // A throw here closes the library: library_ is a fully built member.
  const auto required = [this](const char* name, auto& out) {
    if (!library_.resolve(name, out)) {
      throw NvmlError(kErrorFunctionNotFound, "nvml: " + path_ + " does not export " + name +
                                                  " (not NVML, or a driver older than 450)");
    }
  };
  required("nvmlInit_v2", f.init_v2);
  required("nvmlShutdown", f.shutdown);
  required("nvmlErrorString", f.error_string);
  required("nvmlDeviceGetCount_v2", f.device_get_count_v2);
  required("nvmlDeviceGetHandleByIndex_v2", f.device_get_handle_by_index_v2);
  required("nvmlDeviceGetUUID", f.device_get_uuid);
  required("nvmlDeviceGetPowerUsage", f.device_get_power_usage);

  const auto optional = [this](const char* name, auto& out) {
    if (!library_.resolve(name, out)) missing_.emplace_back(name);
  };
  optional("nvmlSystemGetDriverVersion", f.system_get_driver_version);
  optional("nvmlDeviceGetName", f.device_get_name);
  optional("nvmlDeviceGetFieldValues", f.device_get_field_values);
  optional("nvmlDeviceGetTotalEnergyConsumption", f.device_get_total_energy_consumption);
  optional("nvmlDeviceGetPowerManagementLimit", f.device_get_power_management_limit);
  optional("nvmlDeviceGetClockInfo", f.device_get_clock_info);
  optional("nvmlDeviceGetTemperature", f.device_get_temperature);
  optional("nvmlDeviceGetUtilizationRates", f.device_get_utilization_rates);
  optional("nvmlDeviceGetMemoryInfo", f.device_get_memory_info);
  optional("nvmlDeviceGetMemoryInfo_v2", f.device_get_memory_info_v2);
  optional("nvmlDeviceGetMigMode", f.device_get_mig_mode);
  optional("nvmlDeviceGetMaxMigDeviceCount", f.device_get_max_mig_device_count);
  optional("nvmlDeviceGetMigDeviceHandleByIndex", f.device_get_mig_device_handle_by_index);
  optional("nvmlDeviceGetGpuInstanceId", f.device_get_gpu_instance_id);
  optional("nvmlDeviceGetComputeInstanceId", f.device_get_compute_instance_id);
  optional("nvmlDeviceGetAttributes_v2", f.device_get_attributes_v2);
  optional("nvmlGpmQueryDeviceSupport", f.gpm_query_device_support);
  optional("nvmlGpmSampleAlloc", f.gpm_sample_alloc);
  optional("nvmlGpmSampleFree", f.gpm_sample_free);
  optional("nvmlGpmSampleGet", f.gpm_sample_get);
  optional("nvmlGpmMigSampleGet", f.gpm_mig_sample_get);
  optional("nvmlGpmMetricsGet", f.gpm_metrics_get);
  optional("nvmlDeviceGetComputeRunningProcesses_v3", f.device_get_compute_running_processes_v3);
  optional("nvmlDeviceGetProcessUtilization", f.device_get_process_utilization);
  optional("nvmlSystemGetProcessName", f.system_get_process_name);
}

std::string Library::message(std::string_view call, Return code) const {
  return call_failure_message(
      call, describe(code), "NVML", code,
      functions_.error_string != nullptr ? functions_.error_string(code) : nullptr);
}

}  // namespace migpower::nvml
