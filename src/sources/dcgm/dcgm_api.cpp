#include "sources/dcgm/dcgm_api.hpp"

#include <utility>

namespace migpower::dcgm {
namespace {

constexpr const char* kDefaultLibrary = "libdcgm.so.4";

// The sentinel's offset above the blank base: 0 blank, 1 not found, 2 not supported, 3 no
// permission (DCGM_*_NOT_FOUND, _NOT_SUPPORTED, _NOT_PERMISSIONED).
std::string_view describe_blank_offset(double offset) {
  if (offset == 1.0) return "not found";
  if (offset == 2.0) return "not supported by this GPU or driver";
  if (offset == 3.0) return "no permission to read it";
  return "no value (blank)";
}

}  // namespace

bool is_blank(std::string_view value) {
  return value.starts_with("<<<") && value.find(">>>", 3) != std::string_view::npos;
}

std::string_view describe_blank(std::int64_t value) {
  return describe_blank_offset(static_cast<double>(value - kInt64Blank));
}

std::string_view describe_blank(double value) { return describe_blank_offset(value - kFp64Blank); }

std::string_view describe(Return code) {
  switch (code) {
    case kOk:
      return "success";
    case kBadParam:
      return "bad parameter (a stale group, or an entity that no longer exists)";
    case kGenericError:
      return "unspecified DCGM error";
    case kMemory:
      return "out of memory";
    case kNotConfigured:
      return "not configured (the group or watch is unknown to the host engine: was it restarted?)";
    case kNotSupported:
      return "not supported by this GPU or driver";
    case kInitError:
      return "DCGM failed to initialize";
    case kNvmlError:
      return "NVML, under DCGM, returned an error (is the NVIDIA driver loaded?)";
    case kPending:
      return "the request is still pending";
    case kUninitialized:
      return "DCGM is not initialized";
    case kTimeout:
      return "timed out";
    case kVersionMismatch:
      return "this DCGM does not accept the struct version (DCGM too old or too new?)";
    case kUnknownField:
      return "unknown field id (DCGM too old?)";
    case kNoData:
      return "no data yet";
    case kStaleData:
      return "the data is stale";
    case kNotWatched:
      return "the field is not watched";
    case kNoPermission:
      return "no permission (run as root, or give this user access to the GPU)";
    case kGpuIsLost:
      return "the GPU is lost (fell off the bus or stopped responding; it needs a reset)";
    case kResetRequired:
      return "the GPU needs a reset";
    case kFunctionNotFound:
      return "this DCGM lacks the function (DCGM too old?)";
    case kConnectionNotValid:
      return "no connection to the DCGM host engine (is nv-hostengine running and reachable?)";
    case kGpuNotSupported:
      return "this GPU is not supported by DCGM";
    case kGroupIncompatible:
      return "the GPUs of the group are not compatible";
    case kMaxLimit:
      return "the host engine's limit of groups or watches is reached";
    case kLibraryNotFound:
      return "the DCGM library was not found (is datacenter-gpu-manager-4 installed?)";
    case kDuplicateKey:
      return "a group of that name already exists";
    case kRequiresRoot:
      return "needs root: the host engine runs as a non-root user";
    case kInsufficientSize:
      return "buffer too small";
    case kFieldUnsupportedByApi:
      return "the field is not supported by this call";
    case kModuleNotLoaded:
      return "the DCGM module serving this is not loaded (for profiling fields: the profiling "
             "module failed to load)";
    case kInUse:
      return "in use by another client (profiling counters are held by another tool, e.g. Nsight "
             "or a second DCGM)";
    case kGroupIsEmpty:
      return "the group is empty";
    case kProfilingNotSupported:
      return "profiling fields are not supported on this GPU (DCGM profiling needs a data-center "
             "GPU, Volta or later)";
    case kProfilingLibraryError:
      return "the profiling library returned an unrecoverable error";
    case kProfilingMultiPass:
      return "the profiling fields cannot be collected in one pass on this GPU";
    case kInsufficientDriverVersion:
      return "the NVIDIA driver is too old for this DCGM";
    case kInstanceNotFound:
      return "the GPU instance does not exist (MIG layout changed?)";
    case kComputeInstanceNotFound:
      return "the compute instance does not exist (MIG layout changed?)";
    case kInsufficientResources:
      return "not enough resources";
    case kPaused:
      return "the host engine is paused";
    case kAlreadyInitialized:
      return "already initialized";
    case kNvmlNotLoaded:
      return "DCGM could not load NVML (is the NVIDIA driver installed?)";
    case kNvmlDriverTimeout:
      return "the NVIDIA driver timed out";
    case kGpusDetached:
      return "the GPUs are detached from DCGM";
    default:
      return "unrecognized DCGM error";
  }
}

std::string default_library_path() {
  return library_path_from_env("MIGPOWER_DCGM_LIBRARY", kDefaultLibrary);
}

Library::Library(std::string path)
    : path_(path.empty() ? default_library_path() : std::move(path)), library_(path_) {
  if (!library_.is_open()) {
    const std::string& reason = library_.open_error();
    throw DcgmError(kLibraryNotFound,
                    "dcgm: " + path_ +
                        " not found (is DCGM 4, datacenter-gpu-manager-4, installed?)" +
                        (reason.empty() ? std::string() : ": " + reason));
  }
  Functions& f = functions_;
  // A throw here closes the library: library_ is a fully built member.
  const auto required = [this](const char* name, auto& out) {
    if (!library_.resolve(name, out)) {
      throw DcgmError(kFunctionNotFound, "dcgm: " + path_ + " does not export " + name +
                                             " (not DCGM, or DCGM older than 2.0)");
    }
  };
  required("dcgmInit", f.init);
  required("dcgmShutdown", f.shutdown);
  required("dcgmStartEmbedded", f.start_embedded);
  required("dcgmStopEmbedded", f.stop_embedded);
  required("dcgmConnect", f.connect);
  required("dcgmDisconnect", f.disconnect);
  required("dcgmGetAllSupportedDevices", f.get_all_supported_devices);
  required("dcgmGetGpuInstanceHierarchy", f.get_gpu_instance_hierarchy);
  required("dcgmGroupCreate", f.group_create);
  required("dcgmGroupAddEntity", f.group_add_entity);
  required("dcgmGroupDestroy", f.group_destroy);
  required("dcgmFieldGroupCreate", f.field_group_create);
  required("dcgmFieldGroupDestroy", f.field_group_destroy);
  required("dcgmWatchFields", f.watch_fields);
  required("dcgmUnwatchFields", f.unwatch_fields);
  required("dcgmUpdateAllFields", f.update_all_fields);
  required("dcgmEntitiesGetLatestValues", f.entities_get_latest_values);
  library_.resolve("errorString", f.error_string);
}

std::string Library::message(std::string_view call, Return code) const {
  return call_failure_message(
      call, describe(code), "DCGM", code,
      functions_.error_string != nullptr ? functions_.error_string(code) : nullptr);
}

}  // namespace migpower::dcgm
