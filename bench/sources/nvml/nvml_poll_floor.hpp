#pragma once

// The least an NVML-based agent can do for one frame of a card: the same NVML calls that
// migpower's NvmlSource makes in a steady frame (energy, whose growth is the frame's power; limit,
// clocks, temperature; per
// instance framebuffer memory and a GPM sample with its metrics), with no frame, no CSV and no
// attribution. bench/cli/agent_bench.cpp times `migpower record` against it, and checks, on the
// fake library, that both make the same calls per frame.

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "sources/nvml/nvml_api.hpp"

namespace migpower::bench {

// Every NVML function migpower may call (sources/nvml/nvml_api.cpp), to count calls by name.
inline constexpr auto kNvmlFunctionNames = std::to_array<const char*>({
    "nvmlInit_v2",
    "nvmlShutdown",
    "nvmlErrorString",
    "nvmlDeviceGetCount_v2",
    "nvmlDeviceGetHandleByIndex_v2",
    "nvmlDeviceGetUUID",
    "nvmlDeviceGetPowerUsage",
    "nvmlSystemGetDriverVersion",
    "nvmlDeviceGetName",
    "nvmlDeviceGetFieldValues",
    "nvmlDeviceGetTotalEnergyConsumption",
    "nvmlDeviceGetPowerManagementLimit",
    "nvmlDeviceGetClockInfo",
    "nvmlDeviceGetTemperature",
    "nvmlDeviceGetUtilizationRates",
    "nvmlDeviceGetMemoryInfo",
    "nvmlDeviceGetMemoryInfo_v2",
    "nvmlDeviceGetMigMode",
    "nvmlDeviceGetMaxMigDeviceCount",
    "nvmlDeviceGetMigDeviceHandleByIndex",
    "nvmlDeviceGetGpuInstanceId",
    "nvmlDeviceGetComputeInstanceId",
    "nvmlDeviceGetAttributes_v2",
    "nvmlGpmQueryDeviceSupport",
    "nvmlGpmSampleAlloc",
    "nvmlGpmSampleFree",
    "nvmlGpmSampleGet",
    "nvmlGpmMigSampleGet",
    "nvmlGpmMetricsGet",
    "nvmlDeviceGetComputeRunningProcesses_v3",
    "nvmlDeviceGetProcessUtilization",
    "nvmlSystemGetProcessName",
});

// The eight GPM metrics migpower reads (one per activity field).
inline constexpr std::array<unsigned, 8> kGpmMetricIds = {
    nvml::kGpmGraphicsUtil, nvml::kGpmSmUtil,   nvml::kGpmSmOccupancy, nvml::kGpmAnyTensorUtil,
    nvml::kGpmDramBwUtil,   nvml::kGpmFp64Util, nvml::kGpmFp32Util,    nvml::kGpmFp16Util};

class NvmlPollFloor {
 public:
  // Opens the library and finds every card and its MIG instances (what any agent must do once).
  explicit NvmlPollFloor(const std::string& library_path)
      : library_(dlopen(library_path.c_str(), RTLD_NOW | RTLD_LOCAL)),
        metrics_(std::make_unique<nvml::GpmMetricsGet>()) {
    if (library_ == nullptr) throw std::runtime_error("cannot open " + library_path);
    load(init_, "nvmlInit_v2");
    load(shutdown_, "nvmlShutdown");
    load(count_, "nvmlDeviceGetCount_v2");
    load(handle_by_index_, "nvmlDeviceGetHandleByIndex_v2");
    load(uuid_, "nvmlDeviceGetUUID");
    load(name_, "nvmlDeviceGetName");
    load(field_values_, "nvmlDeviceGetFieldValues");
    load(energy_, "nvmlDeviceGetTotalEnergyConsumption");
    load(power_limit_, "nvmlDeviceGetPowerManagementLimit");
    load(clock_, "nvmlDeviceGetClockInfo");
    load(temperature_, "nvmlDeviceGetTemperature");
    load(memory_v2_, "nvmlDeviceGetMemoryInfo_v2");
    load(mig_mode_, "nvmlDeviceGetMigMode");
    load(max_mig_, "nvmlDeviceGetMaxMigDeviceCount");
    load(mig_handle_, "nvmlDeviceGetMigDeviceHandleByIndex");
    load(gpu_instance_id_, "nvmlDeviceGetGpuInstanceId");
    load(compute_instance_id_, "nvmlDeviceGetComputeInstanceId");
    load(gpm_support_, "nvmlGpmQueryDeviceSupport");
    load(gpm_alloc_, "nvmlGpmSampleAlloc");
    load(gpm_free_, "nvmlGpmSampleFree");
    load(gpm_sample_, "nvmlGpmSampleGet");
    load(gpm_mig_sample_, "nvmlGpmMigSampleGet");
    load(gpm_metrics_, "nvmlGpmMetricsGet");
    check(init_(), "nvmlInit_v2");
    unsigned count = 0;
    check(count_(&count), "nvmlDeviceGetCount_v2");
    cards_.resize(count);
    for (unsigned index = 0; index < count; ++index) {
      Card& card = cards_[index];
      check(handle_by_index_(index, &card.handle), "nvmlDeviceGetHandleByIndex_v2");
      std::array<char, nvml::kDeviceUuidBufferSize> text{};
      check(uuid_(card.handle, text.data(), text.size()), "nvmlDeviceGetUUID");
      check(name_(card.handle, text.data(), text.size()), "nvmlDeviceGetName");
      nvml::GpmSupport support{};
      support.version = nvml::kGpmSupportVersion;
      card.gpm =
          gpm_support_(card.handle, &support) == nvml::kSuccess && support.is_supported_device != 0;
      scan_layout(card);
    }
  }
  ~NvmlPollFloor() {
    for (Card& card : cards_) free_samples(card);
    if (shutdown_ != nullptr) shutdown_();
    dlclose(library_);
  }
  NvmlPollFloor(const NvmlPollFloor&) = delete;
  NvmlPollFloor& operator=(const NvmlPollFloor&) = delete;

  // Enumerates the MIG instances again; migpower does this every 10 s to see layout changes.
  void rescan_layouts() {
    for (Card& card : cards_) scan_layout(card);
  }

  // One frame of every card. Returns a sum of what was read, so that nothing is optimised away.
  double poll_frame() {
    double sum = 0.0;
    for (Card& card : cards_) {
      // Power is the counter's growth since the last frame; only a first frame reads the
      // instantaneous field, as migpower's default (--power interval) does.
      unsigned long long energy = 0;
      const bool counted = energy_(card.handle, &energy) == nvml::kSuccess;
      if (counted && card.previous_energy)
        sum += static_cast<double>(energy - *card.previous_energy);
      if (!counted || !card.previous_energy) {
        nvml::FieldValue field{};
        field.field_id = nvml::kFieldPowerInstant;
        if (field_values_(card.handle, 1, &field) == nvml::kSuccess) {
          sum += static_cast<double>(field.value.ull);
        }
      }
      card.previous_energy = counted ? std::optional<unsigned long long>(energy) : std::nullopt;
      unsigned value = 0;
      if (power_limit_(card.handle, &value) == nvml::kSuccess) sum += value;
      if (clock_(card.handle, nvml::kClockSm, &value) == nvml::kSuccess) sum += value;
      if (clock_(card.handle, nvml::kClockMem, &value) == nvml::kSuccess) sum += value;
      if (temperature_(card.handle, nvml::kTemperatureGpu, &value) == nvml::kSuccess) sum += value;
      for (Instance& instance : card.instances) sum += poll_instance(card, instance);
    }
    return sum;
  }

  [[nodiscard]] std::size_t instance_count() const {
    std::size_t count = 0;
    for (const Card& card : cards_) count += card.instances.size();
    return count;
  }

 private:
  struct Instance {
    unsigned gi_id = 0;
    nvml::Device handle = nullptr;  // the card's own without MIG
    std::array<nvml::GpmSample, 2> samples{};
    int current = 0;
    bool have_previous = false;
  };
  struct Card {
    nvml::Device handle = nullptr;
    bool gpm = false;
    bool mig_capable = true;
    bool mig_on = false;
    std::vector<Instance> instances;
    std::optional<unsigned long long> previous_energy;
  };

  template <typename Function>
  void load(Function& function, const char* name) {
    function = reinterpret_cast<Function>(dlsym(library_, name));
    if (function == nullptr) throw std::runtime_error(std::string("missing ") + name);
  }

  static void check(nvml::Return code, const char* call) {
    if (code != nvml::kSuccess) {
      throw std::runtime_error(std::string(call) + " failed: " + std::to_string(code));
    }
  }

  void free_samples(Card& card) {
    for (Instance& instance : card.instances) {
      for (nvml::GpmSample& sample : instance.samples) {
        if (sample != nullptr) gpm_free_(sample);
        sample = nullptr;
      }
    }
  }

  // Finds the card's GPU instances (one compute instance each, as a 7-way split has). An
  // unchanged layout keeps its GPM samples, as migpower does.
  void scan_layout(Card& card) {
    if (card.mig_capable) {  // "not supported" is remembered, as migpower does
      unsigned current = 0;
      unsigned pending = 0;
      card.mig_capable = mig_mode_(card.handle, &current, &pending) == nvml::kSuccess;
      card.mig_on = card.mig_capable && current == nvml::kMigEnabled;
    }
    std::vector<Instance> fresh;
    if (!card.mig_on) {
      fresh.push_back({0, card.handle, {}, 0, false});
    } else {
      unsigned slots = 0;
      check(max_mig_(card.handle, &slots), "nvmlDeviceGetMaxMigDeviceCount");
      for (unsigned slot = 0; slot < slots; ++slot) {
        nvml::Device mig = nullptr;
        unsigned gi = 0;
        if (mig_handle_(card.handle, slot, &mig) != nvml::kSuccess) continue;
        if (gpu_instance_id_(mig, &gi) != nvml::kSuccess) continue;
        unsigned ci = 0;
        compute_instance_id_(mig, &ci);
        fresh.push_back({gi, mig, {}, 0, false});
      }
    }
    const bool same = fresh.size() == card.instances.size() &&
                      std::equal(fresh.begin(), fresh.end(), card.instances.begin(),
                                 [](const Instance& a, const Instance& b) {
                                   return a.gi_id == b.gi_id && a.handle == b.handle;
                                 });
    if (same) return;
    free_samples(card);
    card.instances = std::move(fresh);
  }

  double poll_instance(Card& card, Instance& instance) {
    double sum = 0.0;
    nvml::MemoryV2 memory{};
    memory.version = nvml::kMemoryV2Version;
    if (memory_v2_(instance.handle, &memory) == nvml::kSuccess) {
      sum += static_cast<double>(memory.used);
    }
    if (!card.gpm) return sum;
    nvml::GpmSample& current = instance.samples[static_cast<std::size_t>(instance.current)];
    if (current == nullptr && gpm_alloc_(&current) != nvml::kSuccess) return sum;
    const nvml::Return code = card.mig_on ? gpm_mig_sample_(card.handle, instance.gi_id, current)
                                          : gpm_sample_(card.handle, current);
    if (code != nvml::kSuccess) return sum;
    if (instance.have_previous) {
      nvml::GpmMetricsGet& request = *metrics_;
      request.version = nvml::kGpmMetricsGetVersion;
      request.num_metrics = static_cast<unsigned>(kGpmMetricIds.size());
      request.sample1 = instance.samples[static_cast<std::size_t>(1 - instance.current)];
      request.sample2 = current;
      for (std::size_t i = 0; i < kGpmMetricIds.size(); ++i) {
        request.metrics[i] = nvml::GpmMetric{};
        request.metrics[i].metric_id = kGpmMetricIds[i];
      }
      if (gpm_metrics_(&request) == nvml::kSuccess) {
        for (std::size_t i = 0; i < kGpmMetricIds.size(); ++i) sum += request.metrics[i].value;
      }
    }
    instance.have_previous = true;
    instance.current = 1 - instance.current;
    return sum;
  }

  void* library_;
  std::unique_ptr<nvml::GpmMetricsGet> metrics_;
  std::vector<Card> cards_;
  nvml::Return (*init_)() = nullptr;
  nvml::Return (*shutdown_)() = nullptr;
  nvml::Return (*count_)(unsigned*) = nullptr;
  nvml::Return (*handle_by_index_)(unsigned, nvml::Device*) = nullptr;
  nvml::Return (*uuid_)(nvml::Device, char*, unsigned) = nullptr;
  nvml::Return (*name_)(nvml::Device, char*, unsigned) = nullptr;
  nvml::Return (*field_values_)(nvml::Device, int, nvml::FieldValue*) = nullptr;
  nvml::Return (*energy_)(nvml::Device, unsigned long long*) = nullptr;
  nvml::Return (*power_limit_)(nvml::Device, unsigned*) = nullptr;
  nvml::Return (*clock_)(nvml::Device, int, unsigned*) = nullptr;
  nvml::Return (*temperature_)(nvml::Device, int, unsigned*) = nullptr;
  nvml::Return (*memory_v2_)(nvml::Device, nvml::MemoryV2*) = nullptr;
  nvml::Return (*mig_mode_)(nvml::Device, unsigned*, unsigned*) = nullptr;
  nvml::Return (*max_mig_)(nvml::Device, unsigned*) = nullptr;
  nvml::Return (*mig_handle_)(nvml::Device, unsigned, nvml::Device*) = nullptr;
  nvml::Return (*gpu_instance_id_)(nvml::Device, unsigned*) = nullptr;
  nvml::Return (*compute_instance_id_)(nvml::Device, unsigned*) = nullptr;
  nvml::Return (*gpm_support_)(nvml::Device, nvml::GpmSupport*) = nullptr;
  nvml::Return (*gpm_alloc_)(nvml::GpmSample*) = nullptr;
  nvml::Return (*gpm_free_)(nvml::GpmSample) = nullptr;
  nvml::Return (*gpm_sample_)(nvml::Device, nvml::GpmSample) = nullptr;
  nvml::Return (*gpm_mig_sample_)(nvml::Device, unsigned, nvml::GpmSample) = nullptr;
  nvml::Return (*gpm_metrics_)(nvml::GpmMetricsGet*) = nullptr;
};

}  // namespace migpower::bench
