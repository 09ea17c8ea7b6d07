#include "serve/agent.hpp"

#include <algorithm>
#include <exception>
#include <iostream>
#include <limits>

#include "core/error.hpp"
#include "serve/state_file.hpp"

namespace migpower {

Agent::Agent(LiveAttribution attribution, AgentIdentity identity, OpenSource open,
             AgentOptions options, LiveClock& clock, LedgerWriter* ledger)
    : attribution_(std::move(attribution)),
      identity_(std::move(identity)),
      open_(std::move(open)),
      options_(std::move(options)),
      clock_(clock),
      ledger_(ledger),
      snapshot_(std::make_shared<const LiveSnapshot>(attribution_.snapshot())) {}

std::shared_ptr<const LiveSnapshot> Agent::snapshot() const {
  const std::lock_guard lock(mutex_);
  return snapshot_;
}

void Agent::publish() {
  if (ledger_ != nullptr) attribution_.set_ledger_health(ledger_->health());
  attribution_.update_tenant_health();
  auto next = std::make_shared<const LiveSnapshot>(attribution_.snapshot());
  unpublished_.clear();
  const std::lock_guard lock(mutex_);
  snapshot_ = std::move(next);
}

void Agent::load_state() {
  if (ledger_ != nullptr) {
    if (const std::optional<LedgerTotals> totals = ledger_->totals()) {
      attribution_.seed_totals(*totals);
      std::cerr << "migpower: energy counters continue from the ledger's sums ("
                << totals->instances.size() << " instances)\n";
    }
  }
  if (options_.state_path.empty()) {
    publish();
    return;
  }
  const std::optional<std::string> refused =
      load_agent_state(options_.state_path, identity_, attribution_);
  if (!refused) {
    std::cerr << "migpower: no state file " << options_.state_path << " yet: starting cold\n";
  } else if (!refused->empty()) {
    attribution_.count_event("state_refused");
    std::cerr << "migpower: state refused, starting cold: " << *refused << "\n";
  } else {
    std::cerr << "migpower: state loaded from " << options_.state_path
              << "; each card resumes when it is seen with the same model and layout\n";
  }
  publish();
}

void Agent::save_state() {
  if (options_.state_path.empty()) return;
  try {
    write_file_atomically(options_.state_path, agent_state_text(attribution_, identity_));
  } catch (const InputError& error) {
    attribution_.count_event("state_save_failed");
    std::cerr << "migpower: " << error.what() << "\n";
  }
}

void Agent::read_until_failure(FrameSource& source, const std::atomic<bool>& stop) {
  Frame frame;
  while (!stop.load()) {
    if (!source.next(frame)) {
      if (!stop.load()) {
        attribution_.set_source_ended();
        std::cerr << "migpower: the source ended; serving its last values until stopped\n";
      }
      return;
    }
    const double now = clock_.now_s();
    if (std::find(unpublished_.begin(), unpublished_.end(), frame.gpu_uuid) != unpublished_.end()) {
      publish();  // the previous tick, which lacked a card
    }
    try {
      attribution_.add(frame, now);
      if (ledger_ != nullptr) {
        ledger_->add(frame, attribution_.last_attribution(), attribution_.last_joules_per_watt(),
                     attribution_.last_tenants());
      }
    } catch (const InputError& error) {
      attribution_.count_source_error("frame");
      std::cerr << "migpower: frame of " << frame.gpu_uuid << " skipped: " << error.what() << "\n";
    }
    unpublished_.push_back(frame.gpu_uuid);
    if (unpublished_.size() >= attribution_.snapshot().cards.size()) publish();
    if (now >= next_save_s_) {
      save_state();
      next_save_s_ = now + options_.state_every_s;
    }
  }
}

void Agent::run(const std::atomic<bool>& stop) {
  next_save_s_ = clock_.now_s() + options_.state_every_s;
  while (!stop.load()) {
    std::unique_ptr<FrameSource> source;
    try {
      source = open_();
    } catch (const std::exception& error) {
      attribution_.count_source_error("open");
      publish();
      std::cerr << "migpower: cannot open the source (retrying in " << options_.retry_s
                << " s): " << error.what() << "\n";
      clock_.sleep_until(clock_.now_s() + options_.retry_s, &stop);
      continue;
    }
    try {
      read_until_failure(*source, stop);
      if (attribution_.snapshot().source_ended) break;
    } catch (const std::exception& error) {
      attribution_.count_source_error("read");
      publish();
      std::cerr << "migpower: reading the source failed (reopening in " << options_.retry_s
                << " s): " << error.what() << "\n";
      clock_.sleep_until(clock_.now_s() + options_.retry_s, &stop);
    }
  }
  if (ledger_ != nullptr) ledger_->finish(5.0);
  publish();
  save_state();
  // A finished replay keeps its last values served until the agent is stopped.
  while (!stop.load() && !options_.exit_when_source_ends) {
    clock_.sleep_until(std::numeric_limits<double>::infinity(), &stop);
  }
}

}  // namespace migpower
