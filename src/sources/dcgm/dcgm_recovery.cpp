// Classifying DCGM's return codes and recovering from a lost connection (see dcgm_recovery.hpp):
// the retry policy and the messages an operator sees about losses and reconnects.
#include "sources/dcgm/dcgm_recovery.hpp"

#include <algorithm>

#include "sources/dcgm/dcgm_connection.hpp"
#include "sources/dcgm/dcgm_options.hpp"

namespace migpower::dcgm_source {

using dcgm::Return;

Outcome classify(Return code) {
  switch (code) {
    case dcgm::kConnectionNotValid:
    case dcgm::kGpuIsLost:
    case dcgm::kResetRequired:
    case dcgm::kUninitialized:
    case dcgm::kNotConfigured:
    case dcgm::kBadParam:  // a group id the (restarted) host engine does not know
    case dcgm::kInstanceNotFound:
    case dcgm::kGpusDetached:
      return Outcome::reconnect;
    case dcgm::kTimeout:
    case dcgm::kPending:
    case dcgm::kPaused:
    case dcgm::kNoData:
    case dcgm::kStaleData:
    case dcgm::kNvmlDriverTimeout:
      return Outcome::transient;
    default:
      return Outcome::fatal;
  }
}

void lose(State& s, const std::string& message) {
  if (!s.lost_since_s) {
    s.lost_since_s = s.now;
    s.event("dcgm: " + message + "; reconnecting");
  }
  teardown(s);
  s.cards.clear();
  s.reconnect_backoff_s = s.options.interval_s;
  s.next_reconnect_s = s.now;  // the next tick tries at once
}

bool try_reconnect(State& s) {
  if (s.now < s.next_reconnect_s) return false;
  try {
    setup(s);
  } catch (const dcgm::DcgmError& error) {
    teardown(s);
    s.cards.clear();
    if (s.reconnect_problem != error.what()) {
      s.reconnect_problem = error.what();
      s.event(s.reconnect_problem + "; will retry");
    }
    s.next_reconnect_s = s.now + s.reconnect_backoff_s;
    s.reconnect_backoff_s = std::min(s.reconnect_backoff_s * 2.0, 30.0);
    return false;
  }
  ++s.reconnects;
  s.event("dcgm: reconnected to the " + s.where() + " after " +
          describe_number(s.now - s.lost_since_s.value_or(s.now)) + " s");
  s.lost_since_s.reset();
  s.reconnect_problem.clear();
  s.next_layout_check_s = s.now + s.options.layout_check_interval_s;
  return true;
}

bool settle(State& s, std::string_view call, Return code) {
  if (code == dcgm::kOk) return true;
  switch (classify(code)) {
    case Outcome::reconnect:
      lose(s, s.library.message(call, code));
      return false;
    case Outcome::transient:
      s.event("dcgm: " + s.library.message(call, code) + "; this tick has no frames");
      return false;
    case Outcome::fatal:
      break;
  }
  s.fail(call, code);
}

}  // namespace migpower::dcgm_source
