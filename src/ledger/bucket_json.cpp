#include "ledger/bucket_json.hpp"

#include "core/error.hpp"

namespace migpower {
namespace {

nlohmann::json optional(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

std::optional<double> optional(const nlohmann::json& json, const char* key) {
  if (!json.contains(key) || json[key].is_null()) return std::nullopt;
  return json[key].get<double>();
}

nlohmann::json carbon_json(const BucketCarbon& c) {
  return {{"location_g", optional(c.location_g)},
          {"market_g", optional(c.market_g)},
          {"intensity", optional(c.intensity_g_kwh)},
          {"source", c.carbon_source},
          {"cost", optional(c.cost)},
          {"currency", c.currency}};
}

BucketCarbon carbon_from(const nlohmann::json& j) {
  return {optional(j, "location_g"), optional(j, "market_g"),
          optional(j, "intensity"),  j.at("source").get<std::string>(),
          optional(j, "cost"),       j.at("currency").get<std::string>()};
}

}  // namespace

nlohmann::json batch_to_json(const BucketBatch& batch) {
  const BucketProvenance& p = batch.provenance;
  const CardBucket& c = batch.card;
  nlohmann::json instances = nlohmann::json::array();
  for (const InstanceBucket& i : batch.instances) {
    instances.push_back({{"gpu_i_id", i.gpu_i_id},
                         {"profile", i.profile},
                         {"tenant", i.tenant},
                         {"energy_j", i.energy_j},
                         {"static_j", i.static_j},
                         {"dynamic_j", i.dynamic_j},
                         {"carbon", carbon_json(i.carbon)}});
  }
  return {{"node", p.node},
          {"method", p.method},
          {"idle_policy", p.idle_policy},
          {"version", p.migpower_version},
          {"gpu_uuid", c.gpu_uuid},
          {"gpu_model", c.gpu_model},
          {"bucket_start", c.bucket_start_s},
          {"bucket_seconds", c.bucket_seconds},
          {"segment_start", c.segment_start_s},
          {"measured_j", c.measured_j},
          {"unattributed_j", c.unattributed_j},
          {"frames", c.frames},
          {"carbon", carbon_json(c.carbon)},
          {"instances", std::move(instances)}};
}

BucketBatch batch_from_json(const nlohmann::json& j) {
  try {
    BucketBatch batch;
    batch.provenance = {j.at("node").get<std::string>(), j.at("method").get<std::string>(),
                        j.at("idle_policy").get<std::string>(), j.at("version").get<std::string>()};
    CardBucket& c = batch.card;
    c.gpu_uuid = j.at("gpu_uuid").get<std::string>();
    c.gpu_model = j.at("gpu_model").get<std::string>();
    c.bucket_start_s = j.at("bucket_start").get<std::int64_t>();
    c.bucket_seconds = j.at("bucket_seconds").get<std::int64_t>();
    c.segment_start_s = j.at("segment_start").get<double>();
    c.measured_j = j.at("measured_j").get<double>();
    c.unattributed_j = j.at("unattributed_j").get<double>();
    c.frames = j.at("frames").get<std::int64_t>();
    c.carbon = carbon_from(j.at("carbon"));
    for (const nlohmann::json& i : j.at("instances")) {
      InstanceBucket instance;
      instance.gpu_uuid = c.gpu_uuid;
      instance.gpu_i_id = i.at("gpu_i_id").get<int>();
      instance.profile = i.at("profile").get<std::string>();
      instance.tenant = i.at("tenant").get<std::string>();
      instance.bucket_start_s = c.bucket_start_s;
      instance.bucket_seconds = c.bucket_seconds;
      instance.segment_start_s = c.segment_start_s;
      instance.energy_j = i.at("energy_j").get<double>();
      instance.static_j = i.at("static_j").get<double>();
      instance.dynamic_j = i.at("dynamic_j").get<double>();
      instance.carbon = carbon_from(i.at("carbon"));
      batch.instances.push_back(std::move(instance));
    }
    return batch;
  } catch (const nlohmann::json::exception& error) {
    throw InputError(std::string("spooled bucket: ") + error.what());
  }
}

}  // namespace migpower
