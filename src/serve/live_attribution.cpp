#include "serve/live_attribution.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>

#include "attribution/online_frame_model.hpp"
#include "core/error.hpp"
#include "model/json_fields.hpp"

namespace migpower {
namespace {

// The residual's running mean square forgets with this time constant (frame time, seconds).
constexpr double kResidualMemoryS = 60.0;

}  // namespace

std::string layout_text(const Frame& frame) {
  std::vector<std::pair<int, std::string>> ids;
  ids.reserve(frame.instances.size());
  for (const InstanceSample& instance : frame.instances) {
    ids.emplace_back(instance.gpu_i_id, instance.profile);
  }
  std::sort(ids.begin(), ids.end());
  std::string text;
  for (const auto& [id, profile] : ids) {
    if (!text.empty()) text += ' ';
    text += std::to_string(id) + ':' + profile;
  }
  return text;
}

LiveAttribution::LiveAttribution(Attributor attributor, AgentIdentity identity,
                                 double started_wall_s)
    : on_message([](const std::string& message) { std::cerr << "migpower: " << message << "\n"; }),
      attributor_(std::move(attributor)) {
  snapshot_.hostname = std::move(identity.hostname);
  snapshot_.method = std::move(identity.method);
  snapshot_.idle_policy = std::move(identity.idle_policy);
  snapshot_.version = std::move(identity.version);
  snapshot_.started_wall_s = started_wall_s;
}

LiveCard& LiveAttribution::card_for(const Frame& frame) {
  for (LiveCard& card : snapshot_.cards) {
    if (card.gpu_uuid == frame.gpu_uuid) return card;
  }
  LiveCard card;
  card.gpu_uuid = frame.gpu_uuid;
  card.gpu_index = static_cast<int>(snapshot_.cards.size());
  snapshot_.cards.push_back(std::move(card));
  return snapshot_.cards.back();
}

double LiveAttribution::restore_card(const Frame& frame) {
  const auto pending = pending_.find(frame.gpu_uuid);
  if (pending == pending_.end()) return 0.0;
  const nlohmann::json saved = std::move(pending->second);
  pending_.erase(pending);
  const std::string where = "state card " + frame.gpu_uuid;
  const std::string saved_model = saved.value("gpu_model", "");
  const std::string saved_layout = saved.value("layout", "");
  if (saved_model != frame.gpu_model || saved_layout != layout_text(frame)) {
    count_event("state_refused");
    on_message(where + " is of " + saved_model + " [" + saved_layout + "], the card now is " +
               frame.gpu_model + " [" + layout_text(frame) + "]: starting it cold");
    return 0.0;
  }
  auto* online = dynamic_cast<OnlineFrameModel*>(attributor_.frame_model());
  if (online != nullptr && saved.contains("model") && !saved["model"].is_null()) {
    online->restore_card(frame.gpu_uuid, saved["model"], where + ".model");
  }
  if (seeded_) {  // the ledger's sums were taken instead of the file's counters
    count_event("warm_start");
    return seeded_card_j_[frame.gpu_uuid];
  }
  for (const nlohmann::json& instance : saved.value("instances", nlohmann::json::array())) {
    Totals& totals = totals_[{frame.gpu_uuid, instance.value("gpu_i_id", 0),
                              instance.value("profile", std::string())}];
    totals.energy_j = instance.value("energy_j", 0.0);
    totals.static_energy_j = instance.value("static_energy_j", 0.0);
    totals.dynamic_energy_j = instance.value("dynamic_energy_j", 0.0);
  }
  count_event("warm_start");
  return saved.value("energy_j", 0.0);
}

void LiveAttribution::add(const Frame& frame, double wall_s) {
  const bool known = std::any_of(snapshot_.cards.begin(), snapshot_.cards.end(),
                                 [&](const LiveCard& c) { return c.gpu_uuid == frame.gpu_uuid; });
  // A card's saved state goes back into the model before its first frame is attributed.
  double restored_energy_j = 0.0;
  if (!known) {
    restored_energy_j = restore_card(frame);
    if (seeded_) restored_energy_j = seeded_card_j_[frame.gpu_uuid];
  }
  attributor_.attribute(frame, attribution_);
  ledger_.add(frame, attribution_);  // throws, recording nothing, for time going back
  LiveCard& card = card_for(frame);
  if (!known) card.energy_j = restored_energy_j;

  const std::string layout = layout_text(frame);
  std::string& last_layout = layouts_[frame.gpu_uuid];
  if (!last_layout.empty() && last_layout != layout) count_event("layout_change");
  last_layout = layout;

  const double dt_s = card.timestamp_s > 0.0 ? frame.timestamp_s - card.timestamp_s : 0.0;
  card.gpu_model = frame.gpu_model;
  card.timestamp_s = frame.timestamp_s;
  card.frame_wall_s = wall_s;
  card.has_power = attribution_.has_power;
  card.power_w = attribution_.measured_w;
  card.unattributed_w = attribution_.unattributed_w;
  const double joules_per_watt = ledger_.last_joules_per_watt();
  if (attribution_.has_power) card.energy_j += attribution_.measured_w * joules_per_watt;
  update_residual(card, frame, dt_s);

  card.instances.resize(frame.instances.size());
  last_tenants_.assign(frame.instances.size(), std::string());
  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    const InstanceSample& sample = frame.instances[i];
    LiveInstance& instance = card.instances[i];
    instance.gpu_i_id = sample.gpu_i_id;
    instance.profile = sample.profile;
    if (!sample.workload.empty()) instance.workload = sample.workload;
    if (tenants_ != nullptr) {
      const std::optional<tenants::Tenant> tenant =
          tenants_->resolve(tenants::InstanceQuery{frame.gpu_uuid, sample.gpu_i_id, {}, {}});
      instance.pod = tenant ? tenant->pod : std::string();
      instance.namespace_name = tenant ? tenant->namespace_name : std::string();
      instance.container = tenant ? tenant->container : std::string();
      instance.tenant = tenant ? tenant->tenant : std::string();
      last_tenants_[i] = instance.tenant;
    }
    Totals& totals = totals_[{frame.gpu_uuid, sample.gpu_i_id, sample.profile}];
    if (attribution_.has_power) {
      const InstanceShare& share = attribution_.shares[i];
      instance.power_w = share.power_w;
      instance.static_w = share.static_w;
      instance.dynamic_w = share.dynamic_w;
      instance.sd_w = share.sd_w;
      totals.energy_j += share.power_w * joules_per_watt;
      totals.static_energy_j += share.static_w * joules_per_watt;
      totals.dynamic_energy_j += share.dynamic_w * joules_per_watt;
    }
    instance.energy_j = totals.energy_j;
    instance.static_energy_j = totals.static_energy_j;
    instance.dynamic_energy_j = totals.dynamic_energy_j;
  }
  ++snapshot_.frames_attributed;
}

void LiveAttribution::update_residual(LiveCard& card, const Frame& frame, double dt_s) {
  if (!attribution_.has_power) return;
  double estimate = attribution_.unattributed_w;
  for (const InstanceShare& share : attribution_.shares) estimate += share.estimate_w;
  if (!std::isfinite(estimate)) {
    card.residual_w = std::numeric_limits<double>::quiet_NaN();
    return;
  }
  const double residual = attribution_.measured_w - estimate;
  auto [it, first] = residual_ms_.try_emplace(frame.gpu_uuid, residual * residual);
  if (!first) {
    const double keep = std::exp(-std::max(dt_s, 0.0) / kResidualMemoryS);
    it->second = keep * it->second + (1.0 - keep) * residual * residual;
  }
  card.residual_w = std::sqrt(it->second);
}

void LiveAttribution::update_tenant_health() {
  if (tenants_ == nullptr) return;
  const tenants::TenantHealth health = tenants_->health();
  TenantSourcesHealth& out = snapshot_.tenants;
  out.enabled = true;
  out.up.clear();
  if (health.kubelet.enabled) out.up["kubelet"] = health.kubelet.ok;
  if (health.cgroups.enabled) out.up["cgroups"] = health.cgroups.ok;
  if (health.mapping.enabled) out.up["mapping"] = health.mapping.ok;
  out.errors.clear();
  for (const auto& [kind, count] : health.errors) out.errors[kind] = count;
}

void LiveAttribution::seed_totals(const LedgerTotals& totals) {
  seeded_ = true;
  for (const auto& [key, energy] : totals.instances) {
    totals_[key] = Totals{energy.energy_j, energy.static_j, energy.dynamic_j};
  }
  seeded_card_j_ = totals.cards_measured_j;
}

nlohmann::json LiveAttribution::save_state() const {
  nlohmann::json cards = nlohmann::json::array();
  const auto* online = dynamic_cast<const OnlineFrameModel*>(attributor_.frame_model());
  for (const LiveCard& card : snapshot_.cards) {
    nlohmann::json instances = nlohmann::json::array();
    for (const auto& [key, totals] : totals_) {
      if (std::get<0>(key) != card.gpu_uuid) continue;
      instances.push_back({{"gpu_i_id", std::get<1>(key)},
                           {"profile", std::get<2>(key)},
                           {"energy_j", totals.energy_j},
                           {"static_energy_j", totals.static_energy_j},
                           {"dynamic_energy_j", totals.dynamic_energy_j}});
    }
    const auto layout = layouts_.find(card.gpu_uuid);
    nlohmann::json model = nullptr;
    if (online != nullptr) {
      if (auto saved = online->save_card(card.gpu_uuid)) model = std::move(*saved);
    }
    cards.push_back({{"gpu_uuid", card.gpu_uuid},
                     {"gpu_model", card.gpu_model},
                     {"layout", layout == layouts_.end() ? std::string() : layout->second},
                     {"energy_j", card.energy_j},
                     {"instances", std::move(instances)},
                     {"model", std::move(model)}});
  }
  // Cards of the file that have not come back yet are kept for a later restart.
  for (const auto& [uuid, saved] : pending_) cards.push_back(saved);
  return cards;
}

void LiveAttribution::load_state(const nlohmann::json& cards, const std::string& where) {
  if (!cards.is_array()) throw InputError(where + ": expected an array of cards");
  std::map<std::string, nlohmann::json> loaded;
  for (std::size_t i = 0; i < cards.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const nlohmann::json& card = require_object(cards[i], at);
    reject_unknown_keys(card, {"gpu_uuid", "gpu_model", "layout", "energy_j", "instances", "model"},
                        at);
    const std::string uuid = string_field(card, "gpu_uuid", at);
    (void)string_field(card, "gpu_model", at);
    (void)string_field(card, "layout", at);
    (void)finite_number_field(card, "energy_j", at);
    const nlohmann::json& model = required_field(card, "model", at);
    if (!model.is_null()) {  // checked now, so that a bad file is refused before any frame
      OnlineFrameModel scratch;
      scratch.restore_card(uuid, model, at + ".model");
    }
    const nlohmann::json& instances = required_field(card, "instances", at);
    if (!instances.is_array()) throw InputError(at + ".instances: expected an array");
    for (std::size_t k = 0; k < instances.size(); ++k) {
      const std::string in = at + ".instances[" + std::to_string(k) + "]";
      const nlohmann::json& instance = require_object(instances[k], in);
      reject_unknown_keys(
          instance, {"gpu_i_id", "profile", "energy_j", "static_energy_j", "dynamic_energy_j"}, in);
      const nlohmann::json& id = required_field(instance, "gpu_i_id", in);
      if (!id.is_number_integer() || id.get<std::int64_t>() < 0) {
        throw InputError(in + ".gpu_i_id: expected a whole number >= 0, found " + json_excerpt(id));
      }
      (void)string_field(instance, "profile", in);
      for (const char* key : {"energy_j", "static_energy_j", "dynamic_energy_j"}) {
        if (finite_number_field(instance, key, in) < 0.0) {
          throw InputError(in + "." + key + ": energy cannot be negative");
        }
      }
    }
    loaded[uuid] = card;
  }
  pending_ = std::move(loaded);
}

}  // namespace migpower
