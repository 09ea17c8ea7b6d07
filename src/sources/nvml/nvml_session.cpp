// The open NVML library, the tick being read, and the filing of each answer by what its return
// code means: one classification for every reader, so a GPU is lost or a call off for one reason.
#include "sources/nvml/nvml_session.hpp"

#include <charconv>

#include "sources/source_events.hpp"

namespace migpower::nvml {

Outcome classify(Return code) {
  switch (code) {
    case kSuccess:
      return Outcome::ok;
    case kErrorNotSupported:
    case kErrorNoPermission:
    case kErrorFunctionNotFound:
    case kErrorArgumentVersionMismatch:
    case kErrorDeprecated:
    case kErrorVgpuEccNotSupported:
      return Outcome::unsupported;
    case kErrorGpuIsLost:
    case kErrorResetRequired:
    case kErrorUninitialized:
    case kErrorDriverNotLoaded:
    case kErrorLibRmVersionMismatch:
    case kErrorGpuNotFound:
    case kErrorIrqIssue:
    case kErrorUnknown:
      return Outcome::lost;
    case kErrorNotFound:
    case kErrorInvalidArgument:
      return Outcome::stale;
    default:
      return Outcome::transient;
  }
}

Session::Session(const NvmlSourceOptions& opts)
    : options(opts), library(options.library_path), fn(library.fn()) {
  rediscovery.backoff_s = options.interval_s;
}

void Session::event(const std::string& message) const {
  tell_source_event(options.on_event, message);
}

void Session::start_tick(double time) {
  now = time;
  const auto result =
      std::to_chars(stamp.data(), stamp.data() + stamp.size(), now, std::chars_format::fixed, 3);
  stamp_length = static_cast<std::size_t>(result.ptr - stamp.data());
}

void Session::require_symbol(Card& card, Cap cap, bool present, std::string_view symbol) const {
  if (present) return;
  card.caps[cap].status = CapState::Status::off;
  card.caps[cap].reason = std::string(symbol) + " missing from " + library.path();
}

void Session::mark_lost(Card& card, const std::string& reason) {
  if (card.lost) return;
  card.lost = true;
  card.interval_power.reset();  // the frames around the gap are not one interval
  event("nvml: " + card.uuid + ": " + reason + "; looking for it again");
  if (!rediscovery.due) {
    rediscovery.due = true;
    rediscovery.next_s = now;  // at the next tick
    rediscovery.backoff_s = options.interval_s;
  }
}

bool Session::settle(Card& card, Cap cap, bool mig_handle, Return code) {
  switch (classify(code)) {
    case Outcome::ok:
      card.caps[cap].status = CapState::Status::on;
      return true;
    case Outcome::unsupported:
      turn_off(card, cap, library.message(kCapCalls[cap], code));
      return false;
    case Outcome::stale:
      if (mig_handle) {
        card.layout_stale = true;
        return false;
      }
      [[fallthrough]];
    case Outcome::lost:
      mark_lost(card, library.message(kCapCalls[cap], code));
      return false;
    case Outcome::transient:
      return false;
  }
  return false;
}

}  // namespace migpower::nvml
