#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace migpower {

// What the agent knows now, as one value: built by the frame loop after each frame, then read by
// every exporter (/metrics, the JSON API) without locks or reaching back into a source.

// One MIG instance (or a card without MIG as instance 0), from the latest frame of its card.
struct LiveInstance {
  int gpu_i_id = 0;
  std::string profile;   // GPU_I_PROFILE, e.g. "3g.20gb"; empty without MIG
  std::string workload;  // the source's free label, where it has one
  double power_w = 0.0;  // its share of the card's measured power
  double static_w = 0.0;
  double dynamic_w = 0.0;
  double sd_w = std::numeric_limits<double>::quiet_NaN();  // NaN: the method gives none
  // Who holds it (the tenants layer, docs/tenants.md): a Kubernetes pod, or another tenant
  // (a Slurm job, a mapping file's name). Empty when unknown.
  std::string pod;
  std::string namespace_name;
  std::string container;
  std::string tenant;
  // Energy since the agent's counters began (carried over a warm restart), joules.
  double energy_j = 0.0;
  double static_energy_j = 0.0;
  double dynamic_energy_j = 0.0;
};

// One card and its instances.
struct LiveCard {
  std::string gpu_uuid;
  std::string gpu_model;
  int gpu_index = 0;            // dcgm-exporter's `gpu`: the order the agent first saw the cards
  double timestamp_s = 0.0;     // the latest frame's own timestamp
  double frame_wall_s = 0.0;    // the wall time the agent attributed it
  bool has_power = false;       // the latest frame had a measured power
  double power_w = 0.0;         // measured
  double unattributed_w = 0.0;  // static power left to the operator (idle policy none)
  double energy_j = 0.0;        // measured, integrated since the counters began
  // Root mean square of (measured − the model's unscaled estimate) over the last minute of
  // frames; NaN for methods that give weights rather than watts.
  double residual_w = std::numeric_limits<double>::quiet_NaN();
  std::vector<LiveInstance> instances;
};

// The ledger's health (docs/ledger.md), when the agent keeps one.
struct LedgerHealth {
  bool enabled = false;
  std::uint64_t batches_written = 0;  // bucket batches committed to the node's SQLite file
  std::uint64_t write_errors = 0;     // failed writes (node file or fleet database)
  bool fleet_configured = false;
  bool fleet_up = false;          // the last attempt to reach the fleet database succeeded
  std::uint64_t pending = 0;      // batches spooled on disk, waiting for the fleet database
  std::uint64_t forwarded = 0;    // batches the fleet database has taken
  std::uint64_t dropped = 0;      // spooled batches dropped because the spool was full
  std::uint64_t carbon_gaps = 0;  // buckets that no carbon or price period covered
  std::uint64_t refused = 0;      // batches for buckets already rolled up to hours
  std::uint64_t rollups = 0;      // retention roll-ups run
};

// The tenant sources' health, when the agent names tenants.
struct TenantSourcesHealth {
  bool enabled = false;
  std::map<std::string, bool> up;  // by source: kubelet, cgroups, mapping (enabled ones only)
  std::map<std::string, std::uint64_t> errors;  // by kind (tenants/tenant_resolver.hpp)
};

struct LiveSnapshot {
  std::string hostname;
  std::string method;       // as every output names it, e.g. "online"
  std::string idle_policy;  // "slices", "active" or "none"
  std::string version;      // migpower's
  double started_wall_s = 0.0;
  std::vector<LiveCard> cards;  // in gpu_index order
  std::uint64_t frames_attributed = 0;
  std::map<std::string, std::uint64_t> source_errors;  // by kind: open, read, frame, stall
  std::map<std::string, std::uint64_t> events;  // by kind: layout_change, card_lost, state_refused
  bool source_ended = false;                    // a replay or simulation ran to its end
  LedgerHealth ledger;
  TenantSourcesHealth tenants;
};

}  // namespace migpower
