#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "export/live_snapshot.hpp"
#include "serve/ledger_writer.hpp"
#include "serve/live_attribution.hpp"
#include "sources/live_clock.hpp"

namespace migpower {

struct AgentOptions {
  double retry_s = 5.0;                // wait before opening a source again after it failed
  std::string state_path;              // --state: empty keeps nothing across restarts
  double state_every_s = 60.0;         // wall seconds between state saves (and one at the end)
  bool exit_when_source_ends = false;  // else a finished replay stays served until stop
};

// The agent's frame loop: reads frames from a source, attributes them (LiveAttribution) and
// publishes a new snapshot for the HTTP side, which never waits on the loop, once per tick: when
// every known card has a new frame, or when a card's next frame comes first (a card that
// stopped answering delays the others by at most one tick). A source that
// cannot be opened or fails while reading is counted (source errors by kind), told on stderr and
// opened again after retry_s; a frame the ledger refuses is counted and skipped. A replay or
// simulation that ends leaves the last snapshot served until stop.
class Agent {
 public:
  // Opens the source afresh: called at start and after each failure.
  using OpenSource = std::function<std::unique_ptr<FrameSource>()>;

  // `ledger` (may be null) gets every attributed frame; it must outlive the agent.
  Agent(LiveAttribution attribution, AgentIdentity identity, OpenSource open, AgentOptions options,
        LiveClock& clock, LedgerWriter* ledger = nullptr);

  // Runs until *stop (set by a signal handler, which then calls wake_live_sleepers()). Saves the
  // state every state_every_s and once more on the way out.
  void run(const std::atomic<bool>& stop);

  // The latest snapshot; safe from any thread, never blocks on the loop for longer than a copy
  // of a pointer.
  [[nodiscard]] std::shared_ptr<const LiveSnapshot> snapshot() const;

  // Loads the --state file, if any, then the ledger's sums for the counters (before run).
  // Messages go to stderr.
  void load_state();

 private:
  void publish();
  void save_state();
  void read_until_failure(FrameSource& source, const std::atomic<bool>& stop);

  LiveAttribution attribution_;
  AgentIdentity identity_;
  OpenSource open_;
  AgentOptions options_;
  LiveClock& clock_;
  LedgerWriter* ledger_;
  double next_save_s_ = 0.0;
  // Cards attributed since the last publish: a snapshot copies every card, so copying it after
  // each card's frame would cost cards^2 per tick.
  std::vector<std::string> unpublished_;
  mutable std::mutex mutex_;  // guards snapshot_ (the pointer, not the value)
  std::shared_ptr<const LiveSnapshot> snapshot_;
};

}  // namespace migpower
