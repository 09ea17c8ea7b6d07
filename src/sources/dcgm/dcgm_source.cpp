// DcgmSource itself: the public class over the shared state (dcgm_state.hpp), the tick loop that
// next() drives (reconnect, layout check, read, frames), and probe_dcgm. The work of each step
// lives in its own file: dcgm_connection, dcgm_discovery, dcgm_watches, dcgm_frames, ...
#include "sources/dcgm/dcgm_source.hpp"

#include <charconv>
#include <optional>
#include <utility>

#include "core/error.hpp"
#include "sources/dcgm/dcgm_connection.hpp"
#include "sources/dcgm/dcgm_frames.hpp"
#include "sources/dcgm/dcgm_layout_check.hpp"
#include "sources/dcgm/dcgm_recovery.hpp"
#include "sources/dcgm/dcgm_report.hpp"
#include "sources/dcgm/dcgm_state.hpp"

namespace migpower {
namespace {

// Starts the tick at `t`: reconnects or checks the layout when due, then reads and fills one
// frame per card, which next() hands out.
void start_tick(dcgm_source::State& s, double t) {
  s.now = t;
  const auto result = std::to_chars(s.stamp.data(), s.stamp.data() + s.stamp.size(), s.now,
                                    std::chars_format::fixed, 3);
  s.stamp_length = static_cast<std::size_t>(result.ptr - s.stamp.data());
  s.ready = 0;
  s.cursor = 0;
  if (!s.connected && !dcgm_source::try_reconnect(s)) return;
  if (s.layout_check_due || s.now >= s.next_layout_check_s) dcgm_source::check_layout(s);
  if (!s.connected || !dcgm_source::read_values(s)) return;
  if (s.frames.size() < s.cards.size()) s.frames.resize(s.cards.size());
  for (std::size_t i = 0; i < s.cards.size(); ++i) {
    dcgm_source::fill_frame(s, s.cards[i], s.frames[i]);
  }
  s.ready = s.cards.size();
}

}  // namespace

// The header's opaque State is the shared state the dcgm_* files work on.
struct DcgmSource::State : dcgm_source::State {
  using dcgm_source::State::State;
};

DcgmSource::DcgmSource(DcgmSourceOptions options)
    : state_(std::make_unique<State>(std::move(options))) {
  dcgm_source::start(*state_);  // on a throw, state_ is destroyed and undoes what start did
}

DcgmSource::~DcgmSource() = default;

bool DcgmSource::next(Frame& out) {
  State& s = *state_;
  while (true) {
    if (s.cursor < s.ready) {
      out = s.frames[s.cursor++];
      return true;
    }
    const std::optional<double> tick = s.pacer.wait();
    if (!tick) return false;
    start_tick(s, *tick);
  }
}

SourceReport DcgmSource::report() { return dcgm_source::make_report(*state_); }

std::size_t DcgmSource::card_count() const { return state_->cards.size(); }

std::uint64_t DcgmSource::reconnects() const { return state_->reconnects; }

std::uint64_t DcgmSource::layout_changes() const { return state_->layout_changes; }

bool DcgmSource::profiling_watched() const { return state_->profiling; }

SourceReport probe_dcgm(const DcgmSourceOptions& options) {
  try {
    DcgmSource source(options);
    return source.report();
  } catch (const InputError& error) {
    SourceReport report;
    report.source = "dcgm";
    report.available = false;
    report.detail = error.what();
    return report;
  }
}

}  // namespace migpower
