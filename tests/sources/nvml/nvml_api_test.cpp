#include "sources/nvml/nvml_api.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <set>
#include <string>

#include "sources/nvml/fake_nvml.hpp"

namespace migpower::nvml {
namespace {

// The layouts and constants NVML's header defines; a wrong one makes the driver refuse the call
// or write past the struct.
TEST(NvmlApi, StructLayoutsMatchTheNvmlHeader) {
  EXPECT_EQ(sizeof(MemoryV2), 40u);
  EXPECT_EQ(offsetof(MemoryV2, total), 8u);
  EXPECT_EQ(offsetof(MemoryV2, used), 32u);
  EXPECT_EQ(sizeof(Memory), 24u);
  EXPECT_EQ(sizeof(DeviceAttributes), 40u);
  EXPECT_EQ(offsetof(DeviceAttributes, gpu_instance_slice_count), 24u);
  EXPECT_EQ(offsetof(DeviceAttributes, memory_size_mib), 32u);
  EXPECT_EQ(sizeof(Value), 8u);
  EXPECT_EQ(sizeof(FieldValue), 40u);
  EXPECT_EQ(offsetof(FieldValue, value_type), 24u);
  EXPECT_EQ(offsetof(FieldValue, nvml_return), 28u);
  EXPECT_EQ(offsetof(FieldValue, value), 32u);
  EXPECT_EQ(sizeof(GpmSupport), 8u);
  EXPECT_EQ(sizeof(GpmMetric), 40u);
  EXPECT_EQ(offsetof(GpmMetric, value), 8u);
  EXPECT_EQ(offsetof(GpmMetricsGet, sample1), 8u);
  EXPECT_EQ(offsetof(GpmMetricsGet, metrics), 24u);
  EXPECT_EQ(sizeof(GpmMetricsGet), 24u + kGpmMetricMax * sizeof(GpmMetric));
  EXPECT_EQ(sizeof(ProcessInfo), 24u);  // nvmlProcessInfo_t (v2 and v3 share it)
  EXPECT_EQ(offsetof(ProcessInfo, used_gpu_memory), 8u);
  EXPECT_EQ(offsetof(ProcessInfo, gpu_instance_id), 16u);
  EXPECT_EQ(offsetof(ProcessInfo, compute_instance_id), 20u);
  EXPECT_EQ(sizeof(ProcessUtilizationSample), 32u);
  EXPECT_EQ(offsetof(ProcessUtilizationSample, time_stamp), 8u);
  EXPECT_EQ(offsetof(ProcessUtilizationSample, sm_util), 16u);
  EXPECT_EQ(offsetof(ProcessUtilizationSample, dec_util), 28u);
}

TEST(NvmlApi, VersionWordsAreSizeOrVersionShiftedOrPlainForGpm) {
  EXPECT_EQ(struct_version(40, 2), 0x02000028u);
  EXPECT_EQ(kMemoryV2Version, 0x02000028u);
  EXPECT_EQ(kGpmSupportVersion, 1u);     // NVML_GPM_SUPPORT_VERSION
  EXPECT_EQ(kGpmMetricsGetVersion, 1u);  // NVML_GPM_METRICS_GET_VERSION
}

TEST(NvmlApi, GpmMetricIdsAndEnumValues) {
  EXPECT_EQ(kGpmGraphicsUtil, 1u);
  EXPECT_EQ(kGpmSmUtil, 2u);
  EXPECT_EQ(kGpmSmOccupancy, 3u);
  EXPECT_EQ(kGpmAnyTensorUtil, 5u);
  EXPECT_EQ(kGpmDramBwUtil, 10u);
  EXPECT_EQ(kGpmFp64Util, 11u);
  EXPECT_EQ(kGpmFp32Util, 12u);
  EXPECT_EQ(kGpmFp16Util, 13u);
  EXPECT_EQ(kFieldPowerInstant, 186u);
  EXPECT_EQ(kClockSm, 1);
  EXPECT_EQ(kClockMem, 2);
  EXPECT_EQ(kErrorGpuIsLost, 15);
  EXPECT_EQ(kErrorArgumentVersionMismatch, 25);
  EXPECT_EQ(kErrorUnknown, 999);
}

TEST(NvmlApi, EveryReturnCodeHasItsOwnMessage) {
  std::set<std::string> messages;
  for (Return code = 0; code <= 29; ++code) {
    const std::string message(describe(code));
    EXPECT_FALSE(message.empty()) << code;
    messages.insert(message);
  }
  messages.insert(std::string(describe(kErrorUnknown)));
  EXPECT_EQ(messages.size(), 31u);  // no two codes share a message
  EXPECT_NE(describe(kErrorNotSupported).find("not supported"), std::string_view::npos);
  EXPECT_NE(describe(kErrorNoPermission).find("no permission"), std::string_view::npos);
  EXPECT_NE(describe(kErrorGpuIsLost).find("lost"), std::string_view::npos);
  EXPECT_NE(describe(kErrorDriverNotLoaded).find("driver is not loaded"), std::string_view::npos);
  EXPECT_NE(describe(kErrorLibraryNotFound).find("not found"), std::string_view::npos);
  EXPECT_EQ(describe(12345), "unrecognized NVML error");
}

TEST(NvmlLibrary, MissingLibraryIsANamedError) {
  try {
    Library library("/nonexistent/libnvidia-ml.so.1");
    FAIL() << "opened a library that does not exist";
  } catch (const NvmlError& error) {
    EXPECT_EQ(error.code(), kErrorLibraryNotFound);
    const std::string message = error.what();
    EXPECT_NE(message.find("nvml: /nonexistent/libnvidia-ml.so.1 not found (no NVIDIA driver?)"),
              std::string::npos)
        << message;
  }
}

TEST(NvmlLibrary, LibraryWithoutRequiredSymbolsIsRefusedByName) {
  try {
    Library library("libm.so.6");  // a real library, but not NVML
    FAIL() << "accepted a library that is not NVML";
  } catch (const NvmlError& error) {
    EXPECT_EQ(error.code(), kErrorFunctionNotFound);
    EXPECT_NE(std::string(error.what()).find("does not export nvmlInit_v2"), std::string::npos)
        << error.what();
  }
}

TEST(NvmlLibrary, EnvironmentVariableChoosesTheLibrary) {
  ::setenv("MIGPOWER_NVML_LIBRARY", MIGPOWER_FAKE_NVML, 1);
  EXPECT_EQ(default_library_path(), MIGPOWER_FAKE_NVML);
  const Library library;
  EXPECT_EQ(library.path(), MIGPOWER_FAKE_NVML);
  ::unsetenv("MIGPOWER_NVML_LIBRARY");
  EXPECT_EQ(default_library_path(), "libnvidia-ml.so.1");
}

TEST(NvmlLibrary, FullLibraryResolvesEverySymbol) {
  const Library library(MIGPOWER_FAKE_NVML);
  EXPECT_TRUE(library.missing_symbols().empty());
  EXPECT_NE(library.fn().gpm_metrics_get, nullptr);
  EXPECT_NE(library.fn().device_get_attributes_v2, nullptr);
}

TEST(NvmlLibrary, MinimalLibraryNamesEachMissingOptionalSymbol) {
  const Library library(MIGPOWER_FAKE_NVML_MINIMAL);
  const auto& missing = library.missing_symbols();
  EXPECT_EQ(missing.size(), 25u);
  for (const char* name :
       {"nvmlDeviceGetTotalEnergyConsumption", "nvmlDeviceGetMigMode", "nvmlGpmMetricsGet",
        "nvmlDeviceGetAttributes_v2", "nvmlDeviceGetComputeRunningProcesses_v3",
        "nvmlDeviceGetProcessUtilization", "nvmlSystemGetProcessName"}) {
    EXPECT_NE(std::find(missing.begin(), missing.end(), name), missing.end()) << name;
  }
  EXPECT_EQ(library.fn().device_get_mig_mode, nullptr);
  EXPECT_NE(library.fn().device_get_power_usage, nullptr);
}

TEST(NvmlLibrary, MessageNamesTheCallTheMeaningAndNvmlsOwnString) {
  const Library library(MIGPOWER_FAKE_NVML);
  const std::string message = library.message("nvmlDeviceGetPowerUsage", kErrorGpuIsLost);
  EXPECT_EQ(message, "nvmlDeviceGetPowerUsage: " + std::string(describe(kErrorGpuIsLost)) +
                         " (NVML error 15: GPU is lost)");
}

}  // namespace
}  // namespace migpower::nvml
