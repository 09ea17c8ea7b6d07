#include "export/report_ledger_source.hpp"

#include <algorithm>

#include "core/energy_units.hpp"

namespace migpower {
namespace {

// The value every batch has for `field`, or "mixed".
template <typename Field>
std::string common(const std::vector<BucketBatch>& batches, Field field) {
  if (batches.empty()) return {};
  const std::string& first = field(batches.front().provenance);
  const bool same = std::all_of(batches.begin(), batches.end(), [&](const BucketBatch& batch) {
    return field(batch.provenance) == first;
  });
  return same ? first : "mixed";
}

}  // namespace

LedgerReportSource::LedgerReportSource(std::vector<BucketBatch> batches, ReportSourceInfo info)
    : batches_(std::move(batches)), info_(std::move(info)) {
  if (info_.method.empty()) {
    info_.method =
        common(batches_, [](const BucketProvenance& p) -> const std::string& { return p.method; });
  }
  if (info_.idle_policy.empty()) {
    info_.idle_policy = common(
        batches_, [](const BucketProvenance& p) -> const std::string& { return p.idle_policy; });
  }
}

bool LedgerReportSource::next(ReportFrame& out) {
  if (next_ == batches_.size()) return false;
  const BucketBatch& batch = batches_[next_++];
  const CardBucket& card = batch.card;
  out.clear();
  const auto end_s = static_cast<double>(card.bucket_start_s + card.bucket_seconds);
  out.timestamp_s = end_s;
  out.gpu_uuid = card.gpu_uuid;
  out.gpu_model = card.gpu_model;
  out.interval_s = std::max(end_s - card.segment_start_s, 0.0);
  const double per_second = out.interval_s > 0.0 ? 1.0 / out.interval_s : 0.0;
  out.has_power = out.interval_s > 0.0;
  out.card_energy_j = card.measured_j;
  out.unattributed_j = card.unattributed_j;
  out.card_power_w = card.measured_j * per_second;
  out.unattributed_w = card.unattributed_j * per_second;
  out.carbon_g_per_kwh = card.carbon.intensity_g_kwh;
  if (card.carbon.market_g && card.measured_j > 0.0) {
    out.market_carbon_g_per_kwh = *card.carbon.market_g / (card.measured_j / kJoulesPerKwh);
  }
  for (const InstanceBucket& instance : batch.instances) {
    ReportInstanceRow row;
    row.gpu_i_id = instance.gpu_i_id;
    row.profile = instance.profile;
    row.workload = instance.tenant;
    row.energy_j = instance.energy_j;
    row.static_energy_j = instance.static_j;
    row.dynamic_energy_j = instance.dynamic_j;
    row.power_w = instance.energy_j * per_second;
    row.static_w = instance.static_j * per_second;
    row.dynamic_w = instance.dynamic_j * per_second;
    out.instances.push_back(std::move(row));
  }
  return true;
}

}  // namespace migpower
