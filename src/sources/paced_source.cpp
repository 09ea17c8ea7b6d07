#include "sources/paced_source.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "core/error.hpp"

namespace migpower {

PacedSource::PacedSource(std::unique_ptr<FrameSource> source, LiveClock& clock, double speed,
                         const std::atomic<bool>* stop)
    : source_(std::move(source)), clock_(clock), speed_(speed), stop_(stop) {
  if (!std::isfinite(speed) || speed <= 0.0) {
    throw InputError("replay speed must be a positive number, not " + std::to_string(speed));
  }
}

bool PacedSource::next(Frame& out) {
  if (stop_ != nullptr && stop_->load()) return false;
  if (!source_->next(out)) return false;
  if (!first_frame_s_) {
    first_frame_s_ = out.timestamp_s;
    first_wall_s_ = clock_.now_s();
    return true;
  }
  const double due = first_wall_s_ + (out.timestamp_s - *first_frame_s_) / speed_;
  return clock_.sleep_until(due, stop_);
}

}  // namespace migpower
