#pragma once

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <string>

#include "serve/agent.hpp"
#include "sources/live_clock.hpp"

namespace migpower {

struct AgentHttpOptions {
  std::string host = "127.0.0.1";
  int port = 10121;  // 0: any free port (tests)
  std::size_t workers = 4;
  std::size_t queued = 32;
  double stale_after_s = 10.0;  // a card without a frame for this long leaves /metrics
  std::string hostname_label = "hostname";
  std::string ledger;  // what /api/v1/energy reads: a SQLite file or a URL; empty: no ledger
};

// The agent's HTTP side: /metrics (Prometheus text, gzip on request), /healthz, /readyz and
// /api/v1/instances, all read from Agent::snapshot() so that no request waits on the frame
// loop, and /api/v1/energy, which sums the ledger on a connection of its own (SQLite's WAL lets
// it read while the loop writes). Unknown paths answer 404, bad parameters 400, each with a
// message.
class AgentHttp {
 public:
  AgentHttp(const Agent& agent, AgentHttpOptions options, LiveClock& clock);

  // Binds host:port; returns the port (the one the system chose for port 0). Throws InputError
  // when the address cannot be bound.
  int bind();
  // Serves until stop(); call after bind().
  void serve();
  void stop();

 private:
  void routes();
  void energy(const httplib::Request& request, httplib::Response& response) const;

  const Agent& agent_;
  AgentHttpOptions options_;
  LiveClock& clock_;
  httplib::Server server_;
  std::atomic<double> last_scrape_s_{0.0};
};

}  // namespace migpower
