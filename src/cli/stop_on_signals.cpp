#include "cli/stop_on_signals.hpp"

#include <csignal>

#include "sources/live_clock.hpp"

namespace migpower::cli {
namespace {

std::atomic<bool> g_stop_requested{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void request_stop(int /*signal*/) {
  g_stop_requested.store(true);
  wake_live_sleepers();
}

}  // namespace

struct StopOnSignals::Saved {
  struct sigaction old_int {};
  struct sigaction old_term {};
};

const std::atomic<bool>& stop_requested() { return g_stop_requested; }

StopOnSignals::StopOnSignals() : saved_(std::make_unique<Saved>()) {
  g_stop_requested.store(false);
  struct sigaction action {};
  action.sa_handler = request_stop;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, &saved_->old_int);
  ::sigaction(SIGTERM, &action, &saved_->old_term);
}

StopOnSignals::~StopOnSignals() {
  ::sigaction(SIGINT, &saved_->old_int, nullptr);
  ::sigaction(SIGTERM, &saved_->old_term, nullptr);
}

}  // namespace migpower::cli
