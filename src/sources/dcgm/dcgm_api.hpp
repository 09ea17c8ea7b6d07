#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sources/shared_library.hpp"

// The few DCGM types, constants and functions migpower uses, declared from NVIDIA's public DCGM
// API (dcgm_structs.h, dcgm_fields.h, dcgm_agent.h of DCGM 4) so that no DCGM header or library
// is needed to build. The library itself is opened at run time with dlopen.
namespace migpower::dcgm {

// dcgmReturn_t: an int, 0 or negative.
using Return = int;
inline constexpr Return kOk = 0;
inline constexpr Return kBadParam = -1;
inline constexpr Return kGenericError = -3;
inline constexpr Return kMemory = -4;
inline constexpr Return kNotConfigured = -5;
inline constexpr Return kNotSupported = -6;
inline constexpr Return kInitError = -7;
inline constexpr Return kNvmlError = -8;
inline constexpr Return kPending = -9;
inline constexpr Return kUninitialized = -10;
inline constexpr Return kTimeout = -11;
inline constexpr Return kVersionMismatch = -12;
inline constexpr Return kUnknownField = -13;
inline constexpr Return kNoData = -14;
inline constexpr Return kStaleData = -15;
inline constexpr Return kNotWatched = -16;
inline constexpr Return kNoPermission = -17;
inline constexpr Return kGpuIsLost = -18;
inline constexpr Return kResetRequired = -19;
inline constexpr Return kFunctionNotFound = -20;
inline constexpr Return kConnectionNotValid = -21;
inline constexpr Return kGpuNotSupported = -22;
inline constexpr Return kGroupIncompatible = -23;
inline constexpr Return kMaxLimit = -24;
inline constexpr Return kLibraryNotFound = -25;
inline constexpr Return kDuplicateKey = -26;
inline constexpr Return kRequiresRoot = -29;
inline constexpr Return kInsufficientSize = -31;
inline constexpr Return kFieldUnsupportedByApi = -32;
inline constexpr Return kModuleNotLoaded = -33;
inline constexpr Return kInUse = -34;
inline constexpr Return kGroupIsEmpty = -35;
inline constexpr Return kProfilingNotSupported = -36;
inline constexpr Return kProfilingLibraryError = -37;
inline constexpr Return kProfilingMultiPass = -38;
inline constexpr Return kInsufficientDriverVersion = -44;
inline constexpr Return kInstanceNotFound = -45;
inline constexpr Return kComputeInstanceNotFound = -46;
inline constexpr Return kInsufficientResources = -49;
inline constexpr Return kPaused = -54;
inline constexpr Return kAlreadyInitialized = -55;
inline constexpr Return kNvmlNotLoaded = -56;
inline constexpr Return kNvmlDriverTimeout = -57;
inline constexpr Return kGpusDetached = -67;

// dcgmHandle_t, dcgmGpuGrp_t, dcgmFieldGrp_t: uintptr_t identifiers.
using Handle = std::uintptr_t;
using GroupId = std::uintptr_t;
using FieldGroupId = std::uintptr_t;

// dcgm_field_entity_group_t (a C enum, int-sized) and dcgm_field_eid_t.
using EntityGroup = int;
inline constexpr EntityGroup kEntityGpu = 1;              // DCGM_FE_GPU
inline constexpr EntityGroup kEntityGpuInstance = 4;      // DCGM_FE_GPU_I
inline constexpr EntityGroup kEntityComputeInstance = 5;  // DCGM_FE_GPU_CI
using EntityId = unsigned;

inline constexpr int kOperationModeAuto = 1;             // DCGM_OPERATION_MODE_AUTO
inline constexpr int kGroupEmpty = 1;                    // DCGM_GROUP_EMPTY
inline constexpr unsigned kFieldValueFlagLiveData = 1U;  // DCGM_FV_FLAG_LIVE_DATA
inline constexpr int kMaxNumDevices = 32;              // DCGM_MAX_NUM_DEVICES (DCGM 2.0 and newer)
inline constexpr int kMaxFieldIdsPerFieldGroup = 128;  // DCGM_MAX_FIELD_IDS_PER_FIELD_GROUP
inline constexpr std::size_t kMaxStrLength = 256;      // DCGM_MAX_STR_LENGTH
inline constexpr std::size_t kMaxBlobLength = 4096;    // DCGM_MAX_BLOB_LENGTH

// A versioned struct carries sizeof(struct) | (version << 24) in its first word
// (MAKE_DCGM_VERSION); a wrong value makes the call fail with kVersionMismatch.
[[nodiscard]] constexpr unsigned struct_version(std::size_t size, unsigned version) {
  return static_cast<unsigned>(size) | (version << 24U);
}

// dcgmGroupEntityPair_t.
struct EntityPair {
  EntityGroup entity_group = 0;
  EntityId entity_id = 0;
};

// dcgmMigEntityInfo_t: where a MIG entity sits. Ids are NVML's (nvmlInstanceId is the GPU
// instance id dcgm-exporter puts in GPU_I_ID).
struct MigEntityInfo {
  char gpu_uuid[128];
  unsigned nvml_gpu_index;
  unsigned nvml_instance_id;
  unsigned nvml_compute_instance_id;
  unsigned nvml_mig_profile_id;
  unsigned nvml_profile_slices;
};

// dcgmMigHierarchyInfo_v2.
struct MigHierarchyInfo {
  EntityPair entity;
  EntityPair parent;
  MigEntityInfo info;
};

// dcgmMigHierarchy_v2 (dcgmGetGpuInstanceHierarchy): every GPU instance (parent a GPU) and
// compute instance (parent a GPU instance). DCGM_MAX_HIERARCHY_INFO = 32 GPUs * 14 entities.
inline constexpr std::size_t kMaxHierarchyInfo = std::size_t{32} * 14;
struct MigHierarchy {
  unsigned version;
  unsigned count;
  MigHierarchyInfo entity_list[kMaxHierarchyInfo];
};
inline constexpr unsigned kMigHierarchyVersion = struct_version(sizeof(MigHierarchy), 2);

// dcgmFieldValue_v2 (dcgmEntitiesGetLatestValues).
struct FieldValue {
  unsigned version;
  EntityGroup entity_group;
  EntityId entity_id;
  unsigned short field_id;
  unsigned short field_type;  // one of the kType* characters
  Return status;
  unsigned unused;  // aligns ts to 8 bytes
  std::int64_t ts;  // microseconds since the epoch
  union {
    std::int64_t i64;
    double dbl;
    char str[kMaxStrLength];
    char blob[kMaxBlobLength];
  } value;
};
inline constexpr unsigned kFieldValueVersion = struct_version(sizeof(FieldValue), 2);

// The sizes the public header gives on x86-64 and aarch64 Linux: a mismatch would make DCGM
// reject the version word or write past our buffers.
static_assert(sizeof(EntityPair) == 8);
static_assert(sizeof(MigEntityInfo) == 148);
static_assert(sizeof(MigHierarchyInfo) == 164);
static_assert(sizeof(MigHierarchy) == 8 + 448 * 164);
static_assert(offsetof(FieldValue, ts) == 24);
static_assert(sizeof(FieldValue) == 24 + 8 + 4096);

// Field types (DCGM_FT_*): one character.
inline constexpr unsigned short kTypeDouble = 'd';
inline constexpr unsigned short kTypeInt64 = 'i';
inline constexpr unsigned short kTypeString = 's';
inline constexpr unsigned short kTypeTimestamp = 't';

// Blank values: DCGM fills a value it does not have with a sentinel at or above these. The next
// three above each are "not found", "not supported" and "no permission".
inline constexpr std::int64_t kInt64Blank = 0x7ffffffffffffff0;  // DCGM_INT64_BLANK
inline constexpr double kFp64Blank = 140737488355328.0;          // DCGM_FP64_BLANK (2^47)
[[nodiscard]] constexpr bool is_blank(std::int64_t value) { return value >= kInt64Blank; }
[[nodiscard]] constexpr bool is_blank(double value) { return value >= kFp64Blank; }
// DCGM_STR_BLANK and friends: "<<<NULL>>>", "<<<NOT_SUPPORTED>>>", ...
[[nodiscard]] bool is_blank(std::string_view value);
// Why a blank numeric value is blank, in words ("not supported by this GPU").
[[nodiscard]] std::string_view describe_blank(std::int64_t value);
[[nodiscard]] std::string_view describe_blank(double value);

// Field ids (DCGM_FI_*). DCGM 4 renamed several (DCGM_FI_DEV_POWER_USAGE is now also spelt
// DCGM_FI_DEV_BOARD_POWER_WATTS); the numbers did not change. The trace uses the old names.
namespace field_id {
inline constexpr unsigned short kName =
    50;  // DCGM_FI_DEV_NAME: a GPU's model, a GPU instance's profile
inline constexpr unsigned short kUuid = 54;             // DCGM_FI_DEV_UUID
inline constexpr unsigned short kSmClock = 100;         // MHz
inline constexpr unsigned short kMemClock = 101;        // MHz
inline constexpr unsigned short kGpuTemp = 150;         // C
inline constexpr unsigned short kPowerUsage = 155;      // W
inline constexpr unsigned short kTotalEnergy = 156;     // mJ since the driver loaded
inline constexpr unsigned short kPowerMgmtLimit = 160;  // W
inline constexpr unsigned short kFbUsed = 252;          // MiB
// DCGM_FI_PROF_GR_ENGINE_ACTIVE .. DCGM_FI_PROF_PIPE_FP16_ACTIVE: ratios 0..1, in the order of
// migpower's Activity enum. 1009 and 1010 (PCIe bytes per second) follow; migpower has no use
// for them.
inline constexpr unsigned short kProfGrEngineActive = 1001;
inline constexpr unsigned short kProfPipeFp16Active = 1008;
}  // namespace field_id

// The functions, as pointers filled by dlsym. All but error_string are required.
struct Functions {
  Return (*init)() = nullptr;
  Return (*shutdown)() = nullptr;
  Return (*start_embedded)(int mode, Handle*) = nullptr;
  Return (*stop_embedded)(Handle) = nullptr;
  Return (*connect)(const char* address, Handle*) = nullptr;
  Return (*disconnect)(Handle) = nullptr;
  Return (*get_all_supported_devices)(Handle, unsigned* gpu_ids, int* count) = nullptr;
  Return (*get_gpu_instance_hierarchy)(Handle, MigHierarchy*) = nullptr;
  Return (*group_create)(Handle, int type, const char* name, GroupId*) = nullptr;
  Return (*group_add_entity)(Handle, GroupId, EntityGroup, EntityId) = nullptr;
  Return (*group_destroy)(Handle, GroupId) = nullptr;
  Return (*field_group_create)(Handle, int count, const unsigned short* field_ids, const char* name,
                               FieldGroupId*) = nullptr;
  Return (*field_group_destroy)(Handle, FieldGroupId) = nullptr;
  Return (*watch_fields)(Handle, GroupId, FieldGroupId, long long update_us, double max_keep_age_s,
                         int max_keep_samples) = nullptr;
  Return (*unwatch_fields)(Handle, GroupId, FieldGroupId) = nullptr;
  Return (*update_all_fields)(Handle, int wait_for_update) = nullptr;
  Return (*entities_get_latest_values)(Handle, EntityPair* entities, unsigned entity_count,
                                       unsigned short* fields, unsigned field_count, unsigned flags,
                                       FieldValue* values) = nullptr;
  const char* (*error_string)(Return) = nullptr;  // "errorString"; optional
};

// DCGM could not be used: the library is missing or lacks a function, the host engine cannot be
// reached, or a call that cannot be done without failed. code() is the DCGM return code
// (kLibraryNotFound or kFunctionNotFound for the first two).
class DcgmError : public LibraryError {
 public:
  using LibraryError::LibraryError;
};

// What a return code means, in words an operator can act on.
[[nodiscard]] std::string_view describe(Return code);

// The library named by MIGPOWER_DCGM_LIBRARY, or libdcgm.so.4 (the SONAME of DCGM 4's
// datacenter-gpu-manager-4-core package).
[[nodiscard]] std::string default_library_path();

// An opened DCGM library. Not initialized: DcgmSource calls init and shutdown.
class Library {
 public:
  // Opens `path` (default_library_path() when empty) and resolves the symbols. Throws DcgmError
  // when it cannot be opened or lacks a required function.
  explicit Library(std::string path = {});
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;

  [[nodiscard]] const Functions& fn() const { return functions_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  // "call: <describe(code)> (DCGM error <code>: <errorString>)".
  [[nodiscard]] std::string message(std::string_view call, Return code) const;

 private:
  std::string path_;
  SharedLibrary library_;
  Functions functions_;
};

}  // namespace migpower::dcgm
