#pragma once

#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sources/live_clock.hpp"
#include "sources/nvml/nvml_source.hpp"

namespace migpower::test {

// The fake NVML library (tests/fakes/fake_nvml.cpp) loaded with a scenario. NvmlSource opens the
// same file, so both share the fake's state; this object holds it loaded for the test's life and
// reaches its test hooks.
class FakeNvml {
 public:
  explicit FakeNvml(const nlohmann::json& scenario, std::string library = MIGPOWER_FAKE_NVML)
      : library_(std::move(library)) {
    ::setenv("MIGPOWER_FAKE_NVML_SCENARIO", scenario.dump().c_str(), 1);
    handle_ = ::dlopen(library_.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ == nullptr) throw std::runtime_error(std::string("dlopen: ") + ::dlerror());
    hook("fake_nvml_reset", reset_);
    hook("fake_nvml_advance", advance_);
    hook("fake_nvml_calls", calls_);
    hook("fake_nvml_live_samples", live_samples_);
    hook("fake_nvml_initialized", initialized_);
    hook("fake_nvml_reset_energy_counters", reset_energy_counters_);
    reset_();
  }
  ~FakeNvml() {
    reset_();
    ::dlclose(handle_);
  }
  FakeNvml(const FakeNvml&) = delete;
  FakeNvml& operator=(const FakeNvml&) = delete;

  void advance(long ticks = 1) { advance_(ticks); }
  [[nodiscard]] unsigned long calls(const char* function) const { return calls_(function); }
  [[nodiscard]] long live_samples() const { return live_samples_(); }
  [[nodiscard]] bool initialized() const { return initialized_() != 0; }
  [[nodiscard]] const std::string& library() const { return library_; }
  void reset_energy_counters() { reset_energy_counters_(); }

  // Options for an NvmlSource on this fake, paced by `clock`, one tick per interval; events are
  // collected in `events` when given.
  [[nodiscard]] NvmlSourceOptions options(ManualClock& clock,
                                          std::vector<std::string>* events = nullptr) const {
    NvmlSourceOptions options;
    options.library_path = library_;
    options.clock = &clock;
    options.on_event = [events](const std::string& message) {
      if (events != nullptr) events->push_back(message);
    };
    return options;
  }

 private:
  template <typename Function>
  void hook(const char* name, Function& out) {
    void* symbol = ::dlsym(handle_, name);
    if (symbol == nullptr) throw std::runtime_error(std::string("fake NVML lacks ") + name);
    std::memcpy(&out, &symbol, sizeof(out));  // object to function pointer, portably
  }

  std::string library_;
  void* handle_ = nullptr;
  void (*reset_)() = nullptr;
  void (*advance_)(long) = nullptr;
  unsigned long (*calls_)(const char*) = nullptr;
  long (*live_samples_)() = nullptr;
  int (*initialized_)() = nullptr;
  void (*reset_energy_counters_)() = nullptr;
};

// Moves the fake one tick per interval slept: NVML's world changes between frames.
inline void tick_fake_on_sleep(ManualClock& clock, FakeNvml& fake) {
  clock.on_sleep = [&fake, last = clock.now_s()](double now) mutable {
    while (now - last >= 1.0 - 1e-9) {
      fake.advance(1);
      last += 1.0;
    }
  };
}

// A card without MIG support (no "mig_layouts").
inline nlohmann::json full_card(
    const std::string& uuid = "GPU-11111111-2222-3333-4444-555555555555",
    const std::string& name = "NVIDIA A100-SXM4-40GB") {
  return {{"uuid", uuid},
          {"name", name},
          {"power_mw", {100000, 110000, 120000}},
          {"instant_power_mw", {101500, 111500, 121500}},
          {"energy_start_mj", 5000000},
          {"power_limit_mw", 400000},
          {"sm_clock_mhz", 1410},
          {"mem_clock_mhz", 1215},
          {"temperature_c", 41},
          {"utilization_gpu", {37, 50}},
          {"memory_used_mib", 2048}};
}

// An A100-40GB in MIG mode: 3g.20gb (GPU instance 1) in slot 0; slot 1 empty; 2g.10gb (GPU
// instance 5) split into two compute instances in slots 2 and 3; 1g.5gb (GPU instance 13) in
// slot 6.
inline nlohmann::json a100_mig_card(
    const std::string& uuid = "GPU-aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee") {
  nlohmann::json card = full_card(uuid);
  card.erase("utilization_gpu");
  card["mig_layouts"] = {{{"from_tick", 0},
                          {"instances",
                           {{{"slot", 0},
                             {"gi", 1},
                             {"ci", 0},
                             {"profile", "3g.20gb"},
                             {"gi_slices", 3},
                             {"sms", 42},
                             {"memory_mib", 19968},
                             {"fb_used_mib", 1000}},
                            {{"slot", 2},
                             {"gi", 5},
                             {"ci", 0},
                             {"profile", "2g.10gb"},
                             {"gi_slices", 2},
                             {"ci_slices", 1},
                             {"memory_mib", 9856},
                             {"fb_used_mib", 512}},
                            {{"slot", 3},
                             {"gi", 5},
                             {"ci", 1},
                             {"profile", "2g.10gb"},
                             {"gi_slices", 2},
                             {"ci_slices", 1},
                             {"memory_mib", 9856},
                             {"fb_used_mib", 512}},
                            {{"slot", 6},
                             {"gi", 13},
                             {"ci", 0},
                             {"profile", "1g.5gb"},
                             {"gi_slices", 1},
                             {"memory_mib", 4864},
                             {"fb_used_mib", 256}}}}}};
  return card;
}

inline nlohmann::json scenario(std::vector<nlohmann::json> devices,
                               nlohmann::json errors = nlohmann::json::array()) {
  return {{"driver_version", "550.54.15"}, {"devices", devices}, {"errors", errors}};
}

}  // namespace migpower::test
