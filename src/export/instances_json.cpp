#include "export/instances_json.hpp"

#include <cmath>
#include <nlohmann/json.hpp>

namespace migpower {
namespace {

// NaN has no JSON spelling: null says "the method gives none".
nlohmann::json number_or_null(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr);
}

nlohmann::json instance_json(const LiveCard& card, const LiveInstance& instance,
                             const LiveSnapshot& snapshot) {
  nlohmann::json labels{{"gpu", std::to_string(card.gpu_index)},
                        {"UUID", card.gpu_uuid},
                        {"device", "nvidia" + std::to_string(card.gpu_index)},
                        {"model_name", card.gpu_model},
                        {"GPU_I_PROFILE", instance.profile},
                        {"GPU_I_ID", std::to_string(instance.gpu_i_id)}};
  if (!snapshot.hostname.empty()) labels["hostname"] = snapshot.hostname;
  if (!instance.workload.empty()) labels["workload"] = instance.workload;
  if (!instance.pod.empty()) {
    labels["pod"] = instance.pod;
    labels["namespace"] = instance.namespace_name;
    if (!instance.container.empty()) labels["container"] = instance.container;
  } else if (!instance.tenant.empty()) {
    labels["tenant"] = instance.tenant;
  }
  return {{"gpu_i_id", instance.gpu_i_id},
          {"profile", instance.profile},
          {"power_w", instance.power_w},
          {"static_w", instance.static_w},
          {"dynamic_w", instance.dynamic_w},
          {"power_sd_w", number_or_null(instance.sd_w)},
          {"energy_j", instance.energy_j},
          {"static_energy_j", instance.static_energy_j},
          {"dynamic_energy_j", instance.dynamic_energy_j},
          {"labels", std::move(labels)}};
}

}  // namespace

std::string instances_json(const LiveSnapshot& snapshot, std::string_view gpu_uuid,
                           double now_wall_s, double stale_after_s) {
  nlohmann::json cards = nlohmann::json::array();
  for (const LiveCard& card : snapshot.cards) {
    if (!gpu_uuid.empty() && card.gpu_uuid != gpu_uuid) continue;
    if (now_wall_s - card.frame_wall_s > stale_after_s) continue;
    nlohmann::json instances = nlohmann::json::array();
    for (const LiveInstance& instance : card.instances) {
      instances.push_back(instance_json(card, instance, snapshot));
    }
    cards.push_back({{"gpu_uuid", card.gpu_uuid},
                     {"gpu_model", card.gpu_model},
                     {"gpu", card.gpu_index},
                     {"timestamp", card.timestamp_s},
                     {"power_w", card.has_power ? nlohmann::json(card.power_w) : nullptr},
                     {"unattributed_w", card.unattributed_w},
                     {"energy_j", card.energy_j},
                     {"model_residual_w", number_or_null(card.residual_w)},
                     {"instances", std::move(instances)}});
  }
  const nlohmann::json document{{"hostname", snapshot.hostname},
                                {"method", snapshot.method},
                                {"idle_policy", snapshot.idle_policy},
                                {"version", snapshot.version},
                                {"cards", std::move(cards)}};
  return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace migpower
