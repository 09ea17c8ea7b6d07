#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "core/process_sample.hpp"
#include "sources/live_clock.hpp"
#include "sources/source_report.hpp"

namespace migpower {

// Which NVML reading becomes the card's DCGM_FI_DEV_POWER_USAGE.
enum class PowerReading {
  // The mean over the frame's interval, from the energy counter's growth since the last frame:
  // the same span the GPM activity fields average over. An instantaneous reading samples one
  // instant, which aliases with duty-cycled work (docs/live-telemetry.md). The first frame, and
  // any frame without two good counter readings, takes `instant` instead.
  interval,
  instant,  // NVML_FI_DEV_POWER_INSTANT where the driver offers it, else the one below
  average,  // nvmlDeviceGetPowerUsage (a 1 s average on Ampere and later, except A100)
};

struct NvmlSourceOptions {
  std::string library_path;  // empty: $MIGPOWER_NVML_LIBRARY, else libnvidia-ml.so.1
  double interval_s = 1.0;
  std::optional<double> duration_s;  // none: until stopped
  PowerReading power = PowerReading::interval;
  // MIG devices are enumerated again this often, so a layout changed by an operator is picked up
  // even when the old handles still answer.
  double layout_check_interval_s = 10.0;
  // A lost GPU is looked for again after one interval, then after twice as long, up to this.
  double max_rediscovery_backoff_s = 60.0;
  LiveClock* clock = nullptr;               // null: the system clock
  const std::atomic<bool>* stop = nullptr;  // next() returns false once it is true
  // Warnings (a GPU lost, a layout change, a capability found missing); null: standard error.
  std::function<void(const std::string&)> on_event;
  // Also read each frame's processes (processes()): which MIG instance each runs in, its memory
  // and, where the driver offers it (not with MIG), its utilization. Off: no per-process call.
  bool processes = false;
};

// Live frames from NVML (docs/live-telemetry.md): every `interval` one frame per GPU, all
// stamped with the same time, shaped exactly like the trace reader's. Card fields come from the
// card's handle; per-instance fields from the MIG device handles, grouped by GPU instance, and
// activity from GPM (Hopper and later) as fractions 0..1. Without MIG the card is one instance
// (gpu_i_id 0, no profile). Each capability is tried once per GPU and remembered; a lost GPU or a
// changed MIG layout is found again without a restart. After the first frame of a layout, next()
// allocates nothing.
class NvmlSource : public FrameSource {
 public:
  // Opens the library, initializes NVML and finds the GPUs. Throws nvml::NvmlError when NVML
  // cannot be used or sees no GPU, InputError for a bad interval or duration.
  explicit NvmlSource(NvmlSourceOptions options = {});
  ~NvmlSource() override;
  NvmlSource(const NvmlSource&) = delete;
  NvmlSource& operator=(const NvmlSource&) = delete;

  bool next(Frame& out) override;

  // Reads every GPU twice, 0.1 s apart (GPM needs two samples), and says what was found.
  [[nodiscard]] SourceReport report();

  [[nodiscard]] std::size_t card_count() const;
  [[nodiscard]] std::uint64_t rediscoveries() const;   // full re-initializations
  [[nodiscard]] std::uint64_t layout_changes() const;  // MIG layouts found changed

  // The processes on the card of the frame next() returned last, sorted by GPU instance and pid;
  // empty unless NvmlSourceOptions::processes. Valid until the next call to next().
  [[nodiscard]] const std::vector<ProcessSample>& processes() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The report of an NvmlSource opened with `options`, or an unavailable one saying why ("nvml:
// libnvidia-ml.so.1 not found (no NVIDIA driver?)").
[[nodiscard]] SourceReport probe_nvml(const NvmlSourceOptions& options = {});

}  // namespace migpower
