#include "export/report_attributed_source.hpp"

#include <utility>

#include "core/catalog.hpp"

namespace migpower {

AttributedReportSource::AttributedReportSource(FrameSource& frames, Attributor attributor,
                                               ReportSourceInfo info, ReportPeriod period)
    : frames_(frames),
      attributor_(std::move(attributor)),
      info_(std::move(info)),
      period_(period) {}

AttributedReportSource::CardTotals& AttributedReportSource::totals_for(
    const std::string& gpu_uuid) {
  for (CardTotals& card : totals_) {
    if (card.gpu_uuid == gpu_uuid) return card;
  }
  totals_.push_back(CardTotals{gpu_uuid});
  return totals_.back();
}

bool AttributedReportSource::next(ReportFrame& out) {
  // Each pass reads one frame; the source is finite, so this ends.
  while (!done_ && frames_.next(frame_)) {
    attributor_.attribute(frame_, attribution_);
    if (period_.to_s && frame_.timestamp_s > *period_.to_s) break;  // sorted by time: the end
    if (period_.from_s && frame_.timestamp_s < *period_.from_s) continue;
    ledger_.add(frame_, attribution_);

    CardTotals& totals = totals_for(frame_.gpu_uuid);
    double energy_j = 0.0;
    double unattributed_j = 0.0;
    for (const CardEnergy& card : ledger_.cards()) {
      if (card.gpu_uuid != frame_.gpu_uuid) continue;
      energy_j = card.energy_j;
      unattributed_j = card.unattributed_j;
    }
    out.clear();
    out.timestamp_s = frame_.timestamp_s;
    out.gpu_uuid = frame_.gpu_uuid;
    out.gpu_model = frame_.gpu_model;
    const GpuModel* model = find_gpu_model(frame_.gpu_model);
    out.card_compute_slices = model != nullptr ? model->compute_slices : 0;
    out.has_power = attribution_.has_power;
    out.card_power_w = attribution_.measured_w;
    out.unattributed_w = attribution_.unattributed_w;
    out.interval_s = ledger_.last_interval_s();
    out.card_energy_j = energy_j - totals.energy_j;
    out.unattributed_j = unattributed_j - totals.unattributed_j;
    totals.energy_j = energy_j;
    totals.unattributed_j = unattributed_j;

    // Each instance gets the interval's energy in proportion to its share, as the ledger does.
    const double joules_per_watt = ledger_.last_joules_per_watt();
    out.instances.resize(frame_.instances.size());
    for (std::size_t i = 0; i < frame_.instances.size(); ++i) {
      const InstanceSample& sample = frame_.instances[i];
      ReportInstanceRow& row = out.instances[i];
      row.gpu_i_id = sample.gpu_i_id;
      row.profile = sample.profile;
      row.compute_slices = sample.compute_slices;
      row.workload = sample.workload;
      if (!attribution_.has_power) continue;
      const InstanceShare& share = attribution_.shares[i];
      row.power_w = share.power_w;
      row.static_w = share.static_w;
      row.dynamic_w = share.dynamic_w;
      row.sd_w = share.sd_w;
      row.energy_j = share.power_w * joules_per_watt;
      row.static_energy_j = share.static_w * joules_per_watt;
      row.dynamic_energy_j = share.dynamic_w * joules_per_watt;
      row.energy_sd_j = share.sd_w * joules_per_watt;
    }
    return true;
  }
  done_ = true;
  return false;
}

}  // namespace migpower
