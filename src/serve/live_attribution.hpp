#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "attribution/attributor.hpp"
#include "core/frame.hpp"
#include "core/shares.hpp"
#include "export/live_snapshot.hpp"
#include "ledger/energy_ledger.hpp"
#include "ledger/ledger_store.hpp"
#include "tenants/tenant_resolver.hpp"

namespace migpower {

// Who the agent is, as every output names it.
struct AgentIdentity {
  std::string hostname;
  std::string method;
  std::string idle_policy;
  std::string version;
};

// The agent's frame-by-frame work, without threads or sockets: attribute each frame, integrate
// its energy, and keep the LiveSnapshot that the exporters read. Energy counters only grow: per
// instance (by card, GPU_I_ID and profile) they continue where they were when an instance leaves
// and comes back, and over a warm restart (save_state / load_state).
class LiveAttribution {
 public:
  LiveAttribution(Attributor attributor, AgentIdentity identity, double started_wall_s);

  // Attributes `frame`, seen at wall time `wall_s`. Throws InputError, having recorded nothing,
  // for a frame the ledger refuses (a card's time going back).
  void add(const Frame& frame, double wall_s);

  void count_source_error(const std::string& kind) { ++snapshot_.source_errors[kind]; }
  void count_event(const std::string& kind) { ++snapshot_.events[kind]; }
  void set_source_ended() { snapshot_.source_ended = true; }

  [[nodiscard]] const LiveSnapshot& snapshot() const { return snapshot_; }
  // The frame last added, as the ledger needs it.
  [[nodiscard]] const FrameAttribution& last_attribution() const { return attribution_; }
  [[nodiscard]] double last_joules_per_watt() const { return ledger_.last_joules_per_watt(); }
  void set_ledger_health(const LedgerHealth& health) { snapshot_.ledger = health; }

  // The energy counters continue from these (the ledger's sums) rather than from 0 or from a
  // --state file: the ledger is what was billed.
  void seed_totals(const LedgerTotals& totals);

  // The learnt state and the energy counters of every card, as the --state file holds them.
  [[nodiscard]] nlohmann::json save_state() const;
  // Takes a state file's "cards" (written by save_state). Each card is restored when its first
  // frame arrives, if the GPU model and MIG layout are the same; otherwise it starts cold and
  // `on_message` says why. Throws InputError naming the field for a malformed document.
  void load_state(const nlohmann::json& cards, const std::string& where);

  // Names each instance's tenant from now on (may be null; must outlive this).
  void set_tenants(tenants::TenantResolver* resolver) { tenants_ = resolver; }
  // Copies the tenant sources' health into the snapshot (before publishing it).
  void update_tenant_health();
  // The tenant of each instance of the frame last added ("" where none), for the ledger.
  [[nodiscard]] const std::vector<std::string>& last_tenants() const { return last_tenants_; }

  // Messages for the operator (stderr by default).
  std::function<void(const std::string&)> on_message;

 private:
  using InstanceKey = std::tuple<std::string, int, std::string>;  // uuid, GPU_I_ID, profile
  struct Totals {
    double energy_j = 0.0;
    double static_energy_j = 0.0;
    double dynamic_energy_j = 0.0;
  };
  LiveCard& card_for(const Frame& frame);
  // Restores the saved state of a card seen for the first time, if it fits; the card's energy
  // to continue from (0 when cold).
  double restore_card(const Frame& frame);
  void update_residual(LiveCard& card, const Frame& frame, double dt_s);

  Attributor attributor_;
  EnergyLedger ledger_;
  FrameAttribution attribution_;
  LiveSnapshot snapshot_;
  std::map<InstanceKey, Totals> totals_;
  std::map<std::string, std::string> layouts_;     // by uuid: the latest frame's layout
  std::map<std::string, nlohmann::json> pending_;  // saved cards not seen yet, by uuid
  std::map<std::string, double> residual_ms_;      // by uuid: running mean square
  std::map<std::string, double> seeded_card_j_;    // by uuid: the ledger's measured sums
  bool seeded_ = false;
  tenants::TenantResolver* tenants_ = nullptr;
  std::vector<std::string> last_tenants_;
};

// A card's MIG layout as text, "1:3g.20gb 2:2g.10gb ...", to compare two frames or a state file.
[[nodiscard]] std::string layout_text(const Frame& frame);

}  // namespace migpower
