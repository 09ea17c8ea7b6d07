// The periodic MIG layout check (see dcgm_layout_check.hpp): a fingerprint of the layout before
// and after discovery decides whether the watches are rebuilt.
#include "sources/dcgm/dcgm_layout_check.hpp"

#include <string>
#include <utility>
#include <vector>

#include "sources/dcgm/dcgm_discovery.hpp"
#include "sources/dcgm/dcgm_recovery.hpp"
#include "sources/dcgm/dcgm_watches.hpp"

namespace migpower::dcgm_source {
namespace {

// A fingerprint of the MIG layout: each GPU instance's entity, id, profile and compute
// instances.
std::string layout_text(const State& s) {
  std::string out;
  for (const DcgmCard& card : s.cards) {
    if (!card.mig) continue;
    // Appended piece by piece: GCC 12's -Wrestrict misreads `"literal" + std::to_string(...)`
    // once this function is inlined on its own.
    out += "GPU ";
    out += std::to_string(card.gpu_id);
    out += ": [";
    for (const DcgmInstance& instance : card.instances) {
      out += ' ';
      out += std::to_string(instance.gi_id);
      out += ':';
      out += instance.profile.empty() ? std::to_string(instance.profile_id) : instance.profile;
      out += "/e";
      out += std::to_string(instance.entity.entity_id);
      out += "/ci";
      out += std::to_string(instance.ci_ids.size());
    }
    out += " ] ";
  }
  return out;
}

}  // namespace

void check_layout(State& s) {
  s.next_layout_check_s = s.now + s.options.layout_check_interval_s;
  s.layout_check_due = false;
  const std::string before = layout_text(s);
  std::vector<DcgmCard> old = std::move(s.cards);
  try {
    discover(s);
  } catch (const dcgm::DcgmError& error) {
    s.cards = std::move(old);
    if (classify(error.code()) == Outcome::reconnect) {
      lose(s, error.what());
    } else {
      s.event(std::string(error.what()) + "; keeping the MIG layout read before");
    }
    return;
  }
  const std::string after = layout_text(s);
  if (after == before && s.cards.size() == old.size()) {
    // Same layout: keep the old structures, which the watches were built for.
    s.cards = std::move(old);
    return;
  }
  ++s.layout_changes;
  s.event("dcgm: MIG layout changed from " + (before.empty() ? "none " : before) + "to " +
          (after.empty() ? "none" : after));
  drop_watch(s, s.instance_watch);
  drop_watch(s, s.card_watch);
  try {
    watch(s);
  } catch (const dcgm::DcgmError& error) {
    if (classify(error.code()) != Outcome::reconnect) throw;
    lose(s, error.what());
  }
}

}  // namespace migpower::dcgm_source
