#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace migpower {

// A MIG profile of one GPU model: how much of the card an instance of it holds.
struct MigProfile {
  std::string name;        // e.g. "3g.20gb"
  int compute_slices = 0;  // of GpuModel::compute_slices
  int memory_slices = 0;   // of GpuModel::memory_slices
  int sm_count = 0;
  double memory_gb = 0.0;
  std::vector<int> starts;  // compute slice positions where an instance may begin
};

// A GPU model that supports MIG, with the power facts attribution needs.
struct GpuModel {
  std::string key;                   // e.g. "A100-SXM4-40GB"
  std::vector<std::string> aliases;  // substrings of NVML/DCGM model names that select it
  int compute_slices = 0;
  int memory_slices = 0;
  int sm_count = 0;     // whole card
  double tdp_w = 0.0;   // default power limit
  double idle_w = 0.0;  // typical idle power at room temperature, base clocks
  double max_sm_clock_mhz = 0.0;
  double min_sm_clock_mhz = 0.0;
  std::vector<MigProfile> profiles;

  [[nodiscard]] const MigProfile* find_profile(std::string_view name) const;
};

// Every GPU model migpower knows.
[[nodiscard]] std::span<const GpuModel> gpu_catalog();

// Finds a model by its catalog key or by a name as NVML/DCGM report it
// ("NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3"); nullptr when unknown.
[[nodiscard]] const GpuModel* find_gpu_model(std::string_view name);

// Slices read from a profile name "Ng.Mgb" (optionally with a "+me" suffix); nullopt when the
// name does not have that shape. Memory slices are unknown (0) from a name alone.
struct ParsedProfile {
  int compute_slices = 0;
  double memory_gb = 0.0;
};
[[nodiscard]] std::optional<ParsedProfile> parse_profile_name(std::string_view name);

// What an instance holds, from the catalog when the model and profile are known, else parsed
// from the profile name. Throws InputError when neither works.
struct ResolvedProfile {
  int compute_slices = 0;
  int memory_slices = 0;  // 0 when unknown
  int sm_count = 0;       // 0 when unknown
  bool from_catalog = false;
};
[[nodiscard]] ResolvedProfile resolve_profile(const GpuModel* model, std::string_view profile);

// Finds non-overlapping start positions for the given profiles on one card (the layout that
// `nvidia-smi mig -cgi` would accept), or nullopt when they do not fit. Result is in input order.
[[nodiscard]] std::optional<std::vector<int>> place_profiles(const GpuModel& model,
                                                             std::span<const std::string> profiles);

}  // namespace migpower
