#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/fields.hpp"

namespace migpower {

// One MIG instance (or, without MIG, the whole card as one instance) at one instant.
struct InstanceSample {
  int gpu_i_id = 0;
  std::string profile;     // e.g. "3g.20gb"
  int compute_slices = 0;  // from the catalog, or parsed from the profile name
  int memory_slices = 0;   // 0 when unknown
  std::array<std::optional<double>, kActivityCount> activity{};  // fractions 0..1
  std::optional<double> fb_used_mib;
  std::string workload;                 // free label, may be empty
  std::optional<double> truth_power_w;  // ground truth where known (simulator)

  [[nodiscard]] std::optional<double> get(Activity a) const {
    return activity[static_cast<std::size_t>(a)];
  }
  void set(Activity a, double value) { activity[static_cast<std::size_t>(a)] = value; }
};

// Everything known about one GPU at one instant. Built once by a source, then read-only.
struct Frame {
  double timestamp_s = 0.0;
  std::string timestamp_text;  // as it appeared in the input, echoed in outputs
  std::string gpu_uuid;
  std::string gpu_model;
  std::optional<double> power_w;    // measured card power
  std::optional<double> energy_mj;  // card's cumulative energy counter
  std::optional<double> sm_clock_mhz;
  std::optional<double> mem_clock_mhz;
  std::optional<double> temperature_c;
  std::optional<double> power_limit_w;
  std::vector<InstanceSample> instances;

  void clear() {
    timestamp_s = 0.0;
    timestamp_text.clear();
    gpu_uuid.clear();
    gpu_model.clear();
    power_w.reset();
    energy_mj.reset();
    sm_clock_mhz.reset();
    mem_clock_mhz.reset();
    temperature_c.reset();
    power_limit_w.reset();
    instances.clear();
  }
};

// Anything that yields frames: a trace file, the simulator, a live card.
class FrameSource {
 public:
  virtual ~FrameSource() = default;
  // Fills `out` with the next frame (reusing its storage) and returns true, or returns false
  // at the end. Frames of one GPU come in time order.
  virtual bool next(Frame& out) = 0;
};

// Anything that takes frames: a trace writer, a recorder.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void write(const Frame& frame) = 0;
  virtual void flush() {}
};

}  // namespace migpower
