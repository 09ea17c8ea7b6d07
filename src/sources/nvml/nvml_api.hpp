#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sources/shared_library.hpp"

// The few NVML types and functions migpower uses, declared from NVIDIA's public API reference
// (docs.nvidia.com/deploy/nvml-api) so that no NVML header or library is needed to build. The
// library itself is opened at run time with dlopen.
namespace migpower::nvml {

// nvmlReturn_t: an int.
using Return = int;
inline constexpr Return kSuccess = 0;
inline constexpr Return kErrorUninitialized = 1;
inline constexpr Return kErrorInvalidArgument = 2;
inline constexpr Return kErrorNotSupported = 3;
inline constexpr Return kErrorNoPermission = 4;
inline constexpr Return kErrorAlreadyInitialized = 5;
inline constexpr Return kErrorNotFound = 6;
inline constexpr Return kErrorInsufficientSize = 7;
inline constexpr Return kErrorInsufficientPower = 8;
inline constexpr Return kErrorDriverNotLoaded = 9;
inline constexpr Return kErrorTimeout = 10;
inline constexpr Return kErrorIrqIssue = 11;
inline constexpr Return kErrorLibraryNotFound = 12;
inline constexpr Return kErrorFunctionNotFound = 13;
inline constexpr Return kErrorCorruptedInforom = 14;
inline constexpr Return kErrorGpuIsLost = 15;
inline constexpr Return kErrorResetRequired = 16;
inline constexpr Return kErrorOperatingSystem = 17;
inline constexpr Return kErrorLibRmVersionMismatch = 18;
inline constexpr Return kErrorInUse = 19;
inline constexpr Return kErrorMemory = 20;
inline constexpr Return kErrorNoData = 21;
inline constexpr Return kErrorVgpuEccNotSupported = 22;
inline constexpr Return kErrorInsufficientResources = 23;
inline constexpr Return kErrorFreqNotSupported = 24;
inline constexpr Return kErrorArgumentVersionMismatch = 25;
inline constexpr Return kErrorDeprecated = 26;
inline constexpr Return kErrorNotReady = 27;
inline constexpr Return kErrorGpuNotFound = 28;
inline constexpr Return kErrorInvalidState = 29;
inline constexpr Return kErrorUnknown = 999;

// nvmlDevice_t and nvmlGpmSample_t are pointers to opaque structs.
struct DeviceOpaque;
using Device = DeviceOpaque*;
struct GpmSampleOpaque;
using GpmSample = GpmSampleOpaque*;

// Enum values passed as ints.
inline constexpr int kClockSm = 1;                        // NVML_CLOCK_SM
inline constexpr int kClockMem = 2;                       // NVML_CLOCK_MEM
inline constexpr int kTemperatureGpu = 0;                 // NVML_TEMPERATURE_GPU
inline constexpr unsigned kMigEnabled = 1;                // NVML_DEVICE_MIG_ENABLE
inline constexpr unsigned kFieldPowerInstant = 186;       // NVML_FI_DEV_POWER_INSTANT (mW)
inline constexpr unsigned kDeviceNameBufferSize = 96;     // NVML_DEVICE_NAME_V2_BUFFER_SIZE
inline constexpr unsigned kDeviceUuidBufferSize = 96;     // NVML_DEVICE_UUID_V2_BUFFER_SIZE
inline constexpr unsigned kDriverVersionBufferSize = 80;  // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE

// A versioned struct carries sizeof(struct) | (version << 24) in its first word; a wrong value
// makes the call fail with kErrorArgumentVersionMismatch.
[[nodiscard]] constexpr unsigned struct_version(std::size_t size, unsigned version) {
  return static_cast<unsigned>(size) | (version << 24U);
}

// nvmlDeviceAttributes_t (nvmlDeviceGetAttributes_v2; MIG device handles only).
struct DeviceAttributes {
  unsigned multiprocessor_count;
  unsigned shared_copy_engine_count;
  unsigned shared_decoder_count;
  unsigned shared_encoder_count;
  unsigned shared_jpeg_count;
  unsigned shared_ofa_count;
  unsigned gpu_instance_slice_count;
  unsigned compute_instance_slice_count;
  unsigned long long memory_size_mib;
};

// nvmlMemory_t (nvmlDeviceGetMemoryInfo), bytes.
struct Memory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

// nvmlMemory_v2_t (nvmlDeviceGetMemoryInfo_v2), bytes; `used` excludes `reserved`.
struct MemoryV2 {
  unsigned version;
  unsigned long long total;
  unsigned long long reserved;
  unsigned long long free;
  unsigned long long used;
};
inline constexpr unsigned kMemoryV2Version = struct_version(sizeof(MemoryV2), 2);

// nvmlUtilization_t, percent.
struct Utilization {
  unsigned gpu;
  unsigned memory;
};

// nvmlValue_t and nvmlFieldValue_t (nvmlDeviceGetFieldValues).
union Value {
  double d;
  unsigned ui;
  unsigned long ul;
  unsigned long long ull;
  long long sll;
  int si;
  unsigned short us;
};
inline constexpr int kValueTypeDouble = 0;
inline constexpr int kValueTypeUnsignedInt = 1;
inline constexpr int kValueTypeUnsignedLong = 2;
inline constexpr int kValueTypeUnsignedLongLong = 3;
inline constexpr int kValueTypeSignedLongLong = 4;
inline constexpr int kValueTypeSignedInt = 5;
inline constexpr int kValueTypeUnsignedShort = 6;
struct FieldValue {
  unsigned field_id;
  unsigned scope_id;
  long long timestamp_us;
  long long latency_us;
  int value_type;
  Return nvml_return;
  Value value;
};

// nvmlProcessInfo_t (nvmlDeviceGetComputeRunningProcesses_v3): one process with a compute
// context. On a MIG device handle the ids name the process's GPU and compute instance.
struct ProcessInfo {
  unsigned pid;
  unsigned long long used_gpu_memory;  // bytes; kValueNotAvailable when unknown
  unsigned gpu_instance_id;            // 0xFFFFFFFF without MIG
  unsigned compute_instance_id;
};
inline constexpr unsigned long long kValueNotAvailable = ~0ULL;  // NVML_VALUE_NOT_AVAILABLE
inline constexpr unsigned kNoInstanceId = 0xFFFFFFFFU;

// nvmlProcessUtilizationSample_t (nvmlDeviceGetProcessUtilization): one driver sample of one
// process, percent; time_stamp is CPU time in microseconds.
struct ProcessUtilizationSample {
  unsigned pid;
  unsigned long long time_stamp;
  unsigned sm_util;
  unsigned mem_util;
  unsigned enc_util;
  unsigned dec_util;
};
inline constexpr unsigned kProcessNameBufferSize = 256;  // nvidia-smi's own buffer size

// GPU performance metrics (GPM, Hopper and later). These two structs carry a plain version
// number (1), not the sizeof | version << 24 form.
struct GpmSupport {
  unsigned version;
  unsigned is_supported_device;
};
inline constexpr unsigned kGpmSupportVersion = 1;  // NVML_GPM_SUPPORT_VERSION

struct GpmMetric {
  unsigned metric_id;
  Return nvml_return;
  double value;
  struct {
    char* short_name;
    char* long_name;
    char* unit;
  } metric_info;
};

// NVML_GPM_METRIC_MAX grew across releases (98, 210, 333); NVML reads only numMetrics entries,
// and a large array keeps any library's writes inside the struct.
inline constexpr unsigned kGpmMetricMax = 333;
struct GpmMetricsGet {
  unsigned version;
  unsigned num_metrics;
  GpmSample sample1;
  GpmSample sample2;
  GpmMetric metrics[kGpmMetricMax];
};
inline constexpr unsigned kGpmMetricsGetVersion = 1;  // NVML_GPM_METRICS_GET_VERSION

// nvmlGpmMetricId_t values migpower reads; each is a percentage 0..100.
inline constexpr unsigned kGpmGraphicsUtil = 1;
inline constexpr unsigned kGpmSmUtil = 2;
inline constexpr unsigned kGpmSmOccupancy = 3;
inline constexpr unsigned kGpmAnyTensorUtil = 5;
inline constexpr unsigned kGpmDramBwUtil = 10;
inline constexpr unsigned kGpmFp64Util = 11;
inline constexpr unsigned kGpmFp32Util = 12;
inline constexpr unsigned kGpmFp16Util = 13;

// The functions, as pointers filled by dlsym. The first seven are required; any other may be
// null (an older driver, or a library without it) and disables what it serves.
struct Functions {
  Return (*init_v2)() = nullptr;
  Return (*shutdown)() = nullptr;
  const char* (*error_string)(Return) = nullptr;
  Return (*device_get_count_v2)(unsigned*) = nullptr;
  Return (*device_get_handle_by_index_v2)(unsigned, Device*) = nullptr;
  Return (*device_get_uuid)(Device, char*, unsigned) = nullptr;
  Return (*device_get_power_usage)(Device, unsigned*) = nullptr;

  Return (*system_get_driver_version)(char*, unsigned) = nullptr;
  Return (*device_get_name)(Device, char*, unsigned) = nullptr;
  Return (*device_get_field_values)(Device, int, FieldValue*) = nullptr;
  Return (*device_get_total_energy_consumption)(Device, unsigned long long*) = nullptr;
  Return (*device_get_power_management_limit)(Device, unsigned*) = nullptr;
  Return (*device_get_clock_info)(Device, int, unsigned*) = nullptr;
  Return (*device_get_temperature)(Device, int, unsigned*) = nullptr;
  Return (*device_get_utilization_rates)(Device, Utilization*) = nullptr;
  Return (*device_get_memory_info)(Device, Memory*) = nullptr;
  Return (*device_get_memory_info_v2)(Device, MemoryV2*) = nullptr;
  Return (*device_get_mig_mode)(Device, unsigned*, unsigned*) = nullptr;
  Return (*device_get_max_mig_device_count)(Device, unsigned*) = nullptr;
  Return (*device_get_mig_device_handle_by_index)(Device, unsigned, Device*) = nullptr;
  Return (*device_get_gpu_instance_id)(Device, unsigned*) = nullptr;
  Return (*device_get_compute_instance_id)(Device, unsigned*) = nullptr;
  Return (*device_get_attributes_v2)(Device, DeviceAttributes*) = nullptr;
  Return (*gpm_query_device_support)(Device, GpmSupport*) = nullptr;
  Return (*gpm_sample_alloc)(GpmSample*) = nullptr;
  Return (*gpm_sample_free)(GpmSample) = nullptr;
  Return (*gpm_sample_get)(Device, GpmSample) = nullptr;
  Return (*gpm_mig_sample_get)(Device, unsigned, GpmSample) = nullptr;
  Return (*gpm_metrics_get)(GpmMetricsGet*) = nullptr;
  Return (*device_get_compute_running_processes_v3)(Device, unsigned*, ProcessInfo*) = nullptr;
  Return (*device_get_process_utilization)(Device, ProcessUtilizationSample*, unsigned*,
                                           unsigned long long) = nullptr;
  Return (*system_get_process_name)(unsigned, char*, unsigned) = nullptr;
};

// NVML could not be used: the library is missing, a required symbol is absent, or a call that
// cannot be done without failed. code() is the NVML return code (kErrorLibraryNotFound or
// kErrorFunctionNotFound for the first two).
class NvmlError : public LibraryError {
 public:
  using LibraryError::LibraryError;
};

// What a return code means, in words an operator can act on ("the GPU is lost ...").
[[nodiscard]] std::string_view describe(Return code);

// The library named by MIGPOWER_NVML_LIBRARY, or libnvidia-ml.so.1 (the SONAME the driver
// installs; the unversioned .so exists only with development packages).
[[nodiscard]] std::string default_library_path();

// An opened NVML library. Not initialized: NvmlSource calls init_v2 and shutdown.
class Library {
 public:
  // Opens `path` (default_library_path() when empty) and resolves the symbols. Throws NvmlError
  // when it cannot be opened ("libnvidia-ml.so.1 not found (no NVIDIA driver?)") or lacks a
  // required symbol.
  explicit Library(std::string path = {});
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  [[nodiscard]] const Functions& fn() const { return functions_; }
  [[nodiscard]] const std::string& path() const { return path_; }
  // Names of the optional symbols this library does not export.
  [[nodiscard]] const std::vector<std::string>& missing_symbols() const { return missing_; }

  // "call: <describe(code)> (NVML error <code>: <nvmlErrorString>)".
  [[nodiscard]] std::string message(std::string_view call, Return code) const;

 private:
  std::string path_;
  SharedLibrary library_;
  Functions functions_;
  std::vector<std::string> missing_;
};

}  // namespace migpower::nvml
