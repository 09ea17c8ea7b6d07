// What NvmlSource knows of each GPU: its capabilities, its MIG instances and the state each reader
// (discovery, fields, GPM, processes) keeps per card. Shared by all of them; data only.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/catalog.hpp"
#include "core/fields.hpp"
#include "sources/interval_power.hpp"
#include "sources/nvml/nvml_api.hpp"

namespace migpower::nvml {

// What one GPU can answer, found on first use and remembered (also across re-discovery, by
// UUID), so an unsupported call is never repeated every second.
enum Cap : std::size_t {
  kPowerInstant,
  kPowerAverage,
  kEnergy,
  kPowerLimit,
  kSmClock,
  kMemClock,
  kTemperature,
  kUtilization,
  kMemory,
  kMig,
  kGpm,
  kProcesses,
  kProcessUtilization,
  kCapCount,
};

// The call behind each capability, as errors and the report name it.
inline constexpr std::array<std::string_view, kCapCount> kCapCalls = {
    "nvmlDeviceGetFieldValues(NVML_FI_DEV_POWER_INSTANT)",
    "nvmlDeviceGetPowerUsage",
    "nvmlDeviceGetTotalEnergyConsumption",
    "nvmlDeviceGetPowerManagementLimit",
    "nvmlDeviceGetClockInfo(NVML_CLOCK_SM)",
    "nvmlDeviceGetClockInfo(NVML_CLOCK_MEM)",
    "nvmlDeviceGetTemperature(NVML_TEMPERATURE_GPU)",
    "nvmlDeviceGetUtilizationRates",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetMigMode",
    "GPM",
    "nvmlDeviceGetComputeRunningProcesses_v3",
    "nvmlDeviceGetProcessUtilization",
};

struct CapState {
  enum class Status { unknown, on, off };
  Status status = Status::unknown;
  std::string reason;  // why it is off
};
using Caps = std::array<CapState, kCapCount>;

// One GPU instance: without MIG, the whole card.
struct Instance {
  // Layout (nvml_discovery.cpp).
  unsigned gi_id = 0;
  std::vector<unsigned> ci_ids;
  std::vector<Device> handles;  // a MIG device per compute instance; the card's own without MIG
  std::string profile;
  int compute_slices = 0;
  int memory_slices = 0;
  std::optional<double> memory_mib;  // nvmlDeviceGetAttributes_v2
  // GPM (nvml_gpm.cpp): two samples, taken in turn.
  std::array<GpmSample, 2> samples{};
  int current = 0;  // the sample the next reading goes into
  bool have_previous = false;
};

struct Card {
  // Identity and layout (nvml_discovery.cpp).
  unsigned index = 0;
  Device handle = nullptr;
  std::string uuid;
  std::string name;
  std::string name_problem;  // why the name is unknown
  const GpuModel* model = nullptr;
  Caps caps{};
  bool mig_on = false;
  std::string mig_note;
  std::vector<Instance> instances;
  double next_layout_check_s = 0.0;
  bool lost = false;
  bool layout_stale = false;
  // Field readings (nvml_fields.cpp).
  bool memory_v1 = false;        // nvmlDeviceGetMemoryInfo_v2 refused or missing: use the v1 call
  IntervalPower interval_power;  // the energy counter's mean over each frame
  // GPM (nvml_gpm.cpp): each metric's answer, for the report.
  std::array<Return, kActivityCount> gpm_returns{};
  // Per-process reading (nvml_processes.cpp), reused from frame to frame.
  unsigned long long last_utilization_us = 0;  // newest process sample already read
  std::vector<ProcessInfo> process_buffer;
  std::vector<ProcessUtilizationSample> utilization_buffer;
  std::vector<std::pair<unsigned, std::string>> process_names;  // of the previous frame
};

// What a GPU keeps across re-discovery, by UUID.
struct Remembered {
  Caps caps{};
  unsigned long long last_utilization_us = 0;
};

// Turns `cap` off on `card` for good: it is not asked again.
inline void turn_off(Card& card, Cap cap, std::string reason) {
  card.caps[cap].status = CapState::Status::off;
  card.caps[cap].reason = std::move(reason);
}

}  // namespace migpower::nvml
