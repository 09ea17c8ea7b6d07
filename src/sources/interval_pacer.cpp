#include "sources/interval_pacer.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"

namespace migpower {

IntervalPacer::IntervalPacer(LiveClock& clock, double interval_s, std::optional<double> duration_s,
                             const std::atomic<bool>* stop)
    : clock_(clock), interval_s_(interval_s), duration_s_(duration_s), stop_(stop) {
  if (!std::isfinite(interval_s) || interval_s <= 0.0) {
    throw InputError("interval must be a positive number of seconds, not " +
                     std::to_string(interval_s));
  }
  if (duration_s && (!std::isfinite(*duration_s) || *duration_s <= 0.0)) {
    throw InputError("duration must be a positive number of seconds, not " +
                     std::to_string(*duration_s));
  }
}

std::optional<double> IntervalPacer::wait() {
  if (stop_ != nullptr && stop_->load()) return std::nullopt;
  if (!start_s_) start_s_ = clock_.now_s();
  // Skip ticks that are already more than one interval late.
  const double elapsed = clock_.now_s() - *start_s_;
  const double late = std::floor(elapsed / interval_s_);
  if (late > static_cast<double>(next_)) next_ = static_cast<std::uint64_t>(late);
  const double offset = static_cast<double>(next_) * interval_s_;
  // A relative tolerance keeps "30 s at 1 s" at 30 ticks despite rounding.
  if (duration_s_ && offset >= *duration_s_ - 1e-9 * interval_s_) return std::nullopt;
  if (!clock_.sleep_until(*start_s_ + offset, stop_)) return std::nullopt;
  ++next_;
  ++ticks_;
  return clock_.now_s();
}

}  // namespace migpower
