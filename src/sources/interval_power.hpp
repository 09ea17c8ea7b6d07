#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/frame.hpp"

namespace migpower {

// A card's mean power over each interval between two readings of its energy counter: the span
// the activity fields (GPM, DCGM profiling) average over, where an instantaneous power reading
// is one instant of it and aliases with work that comes and goes faster than the frames
// (docs/live-telemetry.md, "Why the interval mean is the default").
class IntervalPower {
 public:
  // The mean power in W since the previous reading; none on the first reading, when either
  // reading lacks the counter, when time did not move forward, or when the counter went
  // backwards (a driver reload resets it).
  std::optional<double> next(double timestamp_s, std::optional<double> energy_mj);
  // Forgets the previous reading: the next interval starts afresh (after a lost card, say).
  void reset() { previous_energy_mj_.reset(); }

 private:
  std::optional<double> previous_energy_mj_;
  double previous_timestamp_s_ = 0.0;
};

// Frames of `inner` with each card's power replaced by its energy counter's mean over the
// interval since that GPU's previous frame, where IntervalPower gives one; other frames keep the
// power they had. For traces and sources whose power column is an instantaneous reading
// (`--power-from-counter`).
class IntervalPowerSource : public FrameSource {
 public:
  explicit IntervalPowerSource(FrameSource& inner) : inner_(inner) {}
  bool next(Frame& out) override;

  // Frames whose power came from the counter, and frames that kept their own.
  [[nodiscard]] std::size_t frames_from_counter() const { return from_counter_; }
  [[nodiscard]] std::size_t frames_kept() const { return kept_; }

 private:
  struct Gpu {
    std::string uuid;
    IntervalPower power;
  };
  FrameSource& inner_;
  std::vector<Gpu> gpus_;  // few: a linear search beats hashing
  std::size_t from_counter_ = 0;
  std::size_t kept_ = 0;
};

}  // namespace migpower
