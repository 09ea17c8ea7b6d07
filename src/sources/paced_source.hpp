#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "core/frame.hpp"
#include "sources/live_clock.hpp"

namespace migpower {

// Replays a recorded source (a trace, the simulator) in real time: each frame is handed on when
// the wall clock reaches its own timestamp's offset from the first frame, divided by `speed`
// (2: twice as fast). Frames sharing a timestamp (several cards) go out together. Stops early,
// returning false, once *stop becomes true.
class PacedSource final : public FrameSource {
 public:
  // Throws InputError when speed is not positive and finite.
  PacedSource(std::unique_ptr<FrameSource> source, LiveClock& clock, double speed,
              const std::atomic<bool>* stop = nullptr);

  bool next(Frame& out) override;

 private:
  std::unique_ptr<FrameSource> source_;
  LiveClock& clock_;
  double speed_;
  const std::atomic<bool>* stop_;
  std::optional<double> first_frame_s_;  // the first frame's timestamp
  double first_wall_s_ = 0.0;            // the wall time it was handed on
};

}  // namespace migpower
