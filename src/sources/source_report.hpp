#pragma once

#include <optional>
#include <string>
#include <vector>

namespace migpower {

// What a live source can see on this machine, for `migpower sources`: whether it works (and if
// not, why), the cards and their MIG layout, and which trace fields it fills and how.
struct FieldProvision {
  std::string field;  // a trace column, e.g. "DCGM_FI_DEV_POWER_USAGE"
  bool provided = false;
  std::string detail;  // how ("nvmlDeviceGetTotalEnergyConsumption"), or why not
};

struct InstanceReport {
  int gpu_i_id = 0;
  std::vector<int> compute_instance_ids;
  std::string profile;
  int compute_slices = 0;  // 0: unknown
  int memory_slices = 0;   // 0: unknown
  std::optional<double> memory_mib;
};

struct CardReport {
  std::string uuid;
  std::string model;
  std::string mig;  // "on", "off", or why unknown
  std::vector<InstanceReport> instances;
  std::vector<FieldProvision> fields;
  // Per-process data, for a side file rather than the trace (NVML: `record --processes`).
  std::vector<FieldProvision> process_data;
};

struct SourceReport {
  std::string source;  // "nvml", "dcgm", "dcgm-exporter"
  bool available = false;
  std::string detail;  // version and library when available; the reason when not
  std::vector<std::string> notes;
  std::vector<CardReport> cards;
};

}  // namespace migpower
