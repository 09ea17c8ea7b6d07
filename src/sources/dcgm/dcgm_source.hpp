#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/frame.hpp"
#include "sources/live_clock.hpp"
#include "sources/source_report.hpp"

namespace migpower {

// DCGM samples its profiling fields no faster than this; a shorter interval is refused.
inline constexpr double kDcgmMinIntervalS = 0.1;

struct DcgmSourceOptions {
  std::string library_path;  // empty: $MIGPOWER_DCGM_LIBRARY, else libdcgm.so.4
  // Empty: start DCGM's host engine inside this process (embedded mode, needs the rights a host
  // engine needs). Otherwise the address of a running nv-hostengine ("localhost",
  // "10.0.0.5:5555"), as dcgmConnect takes it.
  std::string host_engine;
  double interval_s = 1.0;           // at least kDcgmMinIntervalS
  std::optional<double> duration_s;  // none: until stopped
  // The MIG hierarchy is read again this often, so a layout changed by an operator is picked up.
  double layout_check_interval_s = 10.0;
  LiveClock* clock = nullptr;               // null: the system clock
  const std::atomic<bool>* stop = nullptr;  // next() returns false once it is true
  // Warnings (profiling unavailable, a layout change, a lost connection); null: standard error.
  std::function<void(const std::string&)> on_event;
};

// Live frames from DCGM (docs/live-telemetry.md): every `interval` one frame per GPU, all
// stamped with the same time, shaped exactly like the trace reader's. The card's power, energy,
// clocks, temperature and power limit are watched on the GPU entity; the profiling fields
// (DCGM_FI_PROF_*, fractions 0..1) and FB_USED on each GPU instance (DCGM_FE_GPU_I), or on the
// GPU itself when MIG is off (then one instance, gpu_i_id 0, no profile). Values DCGM does not
// have (blank sentinels, a bad status) are missing, never 0. A lost connection to the host
// engine or a changed MIG layout is recovered without a restart; ticks while DCGM cannot be
// reached yield no frames.
class DcgmSource : public FrameSource {
 public:
  // Opens the library, connects, finds the GPUs and MIG instances and starts the watches.
  // Throws InputError for a bad interval (below 100 ms) or duration, dcgm::DcgmError when DCGM
  // cannot be used or sees no GPU.
  explicit DcgmSource(DcgmSourceOptions options = {});
  ~DcgmSource() override;
  DcgmSource(const DcgmSource&) = delete;
  DcgmSource& operator=(const DcgmSource&) = delete;

  bool next(Frame& out) override;

  // Reads every GPU once and says what was found and which fields DCGM fills.
  [[nodiscard]] SourceReport report();

  [[nodiscard]] std::size_t card_count() const;
  [[nodiscard]] std::uint64_t reconnects() const;      // connections set up again after a loss
  [[nodiscard]] std::uint64_t layout_changes() const;  // MIG layouts found changed
  [[nodiscard]] bool profiling_watched() const;        // false: profiling fields unavailable

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The report of a DcgmSource opened with `options`, or an unavailable one saying why ("dcgm:
// libdcgm.so.4 not found ...").
[[nodiscard]] SourceReport probe_dcgm(const DcgmSourceOptions& options = {});

}  // namespace migpower
