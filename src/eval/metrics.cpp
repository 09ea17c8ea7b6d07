#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>

namespace migpower {

void ErrorAccumulator::add(const Frame& frame, const FrameAttribution& attribution) {
  ++frames_;
  if (!attribution.has_power) return;
  ++frames_with_power_;
  double attributed = attribution.unattributed_w;
  for (const auto& share : attribution.shares) attributed += share.power_w;
  const double gap = std::abs(attributed - attribution.measured_w);
  max_aggregate_error_w_ = std::max(max_aggregate_error_w_, gap);
  if (attribution.measured_w > 0.0) aggregate_relative_sum_ += gap / attribution.measured_w;

  double estimated = attribution.unattributed_w;
  bool all_estimated = !attribution.shares.empty();
  for (const auto& share : attribution.shares) {
    all_estimated = all_estimated && std::isfinite(share.estimate_w);
    estimated += share.estimate_w;
  }
  if (all_estimated) {
    ++frames_with_estimates_;
    if (attribution.measured_w > 0.0) {
      before_aggregate_relative_sum_ +=
          std::abs(estimated - attribution.measured_w) / attribution.measured_w;
    }
  }

  bool any_truth = false;
  for (std::size_t i = 0; i < frame.instances.size() && i < attribution.shares.size(); ++i) {
    const InstanceSample& instance = frame.instances[i];
    if (!instance.truth_power_w) continue;
    any_truth = true;
    const double truth = *instance.truth_power_w;
    const double error = attribution.shares[i].power_w - truth;
    Sums& sums = per_instance_[{frame.gpu_uuid, instance.gpu_i_id}];
    ++sums.frames;
    sums.abs_sum += std::abs(error);
    sums.sq_sum += error * error;
    if (truth >= kMapeFloorW) {
      ++sums.mape_frames;
      sums.ape_sum += std::abs(error) / truth;
    }
    abs_error_sum_w_ += std::abs(error);
    truth_sum_w_ += truth;
    const double sd = attribution.shares[i].sd_w;
    if (std::isfinite(sd)) {
      const bool within_1 = std::abs(error) <= sd;
      const bool within_2 = std::abs(error) <= 2.0 * sd;
      ++sums.sd_frames;
      sums.within_1sd += within_1 ? 1 : 0;
      sums.within_2sd += within_2 ? 1 : 0;
      ++sd_frames_;
      within_1sd_ += within_1 ? 1 : 0;
      within_2sd_ += within_2 ? 1 : 0;
    }
    const double estimate = attribution.shares[i].estimate_w;
    if (std::isfinite(estimate)) {
      const double before_error = std::abs(estimate - truth);
      before_abs_error_sum_w_ += before_error;
      before_truth_sum_w_ += truth;
      if (truth >= kMapeFloorW) {
        ++sums.before_mape_frames;
        sums.before_ape_sum += before_error / truth;
      }
    }
  }
  if (any_truth) ++frames_with_truth_;
}

std::vector<InstanceErrors> ErrorAccumulator::instance_errors(const EnergyLedger& ledger) const {
  std::vector<InstanceErrors> out;
  for (const auto& energy : ledger.instances()) {
    const auto it = per_instance_.find({energy.gpu_uuid, energy.gpu_i_id});
    if (it == per_instance_.end() || it->second.frames == 0 || !energy.truth_energy_j) continue;
    const Sums& sums = it->second;
    InstanceErrors e;
    e.gpu_uuid = energy.gpu_uuid;
    e.gpu_i_id = energy.gpu_i_id;
    e.profile = energy.profile;
    e.workload = energy.workload;
    e.frames = sums.frames;
    const auto n = static_cast<double>(sums.frames);
    e.mape_pct =
        sums.mape_frames > 0 ? 100.0 * sums.ape_sum / static_cast<double>(sums.mape_frames) : 0.0;
    if (sums.before_mape_frames > 0) {
      e.mape_before_pct =
          100.0 * sums.before_ape_sum / static_cast<double>(sums.before_mape_frames);
    }
    if (sums.sd_frames > 0) {
      const auto sd_frames = static_cast<double>(sums.sd_frames);
      e.coverage_1sd_pct = 100.0 * static_cast<double>(sums.within_1sd) / sd_frames;
      e.coverage_2sd_pct = 100.0 * static_cast<double>(sums.within_2sd) / sd_frames;
    }
    e.rmse_w = std::sqrt(sums.sq_sum / n);
    e.mae_w = sums.abs_sum / n;
    e.truth_energy_j = *energy.truth_energy_j;
    e.estimated_energy_j = energy.energy_j;
    e.energy_error_pct = e.truth_energy_j > 0.0
                             ? 100.0 * (e.estimated_energy_j - e.truth_energy_j) / e.truth_energy_j
                             : 0.0;
    out.push_back(std::move(e));
  }
  return out;
}

double ErrorAccumulator::wape_pct() const {
  return truth_sum_w_ > 0.0 ? 100.0 * abs_error_sum_w_ / truth_sum_w_ : 0.0;
}

double ErrorAccumulator::aggregate_error_pct() const {
  return frames_with_power_ > 0
             ? 100.0 * aggregate_relative_sum_ / static_cast<double>(frames_with_power_)
             : 0.0;
}

std::optional<double> ErrorAccumulator::coverage_1sd_pct() const {
  if (sd_frames_ == 0) return std::nullopt;
  return 100.0 * static_cast<double>(within_1sd_) / static_cast<double>(sd_frames_);
}

std::optional<double> ErrorAccumulator::coverage_2sd_pct() const {
  if (sd_frames_ == 0) return std::nullopt;
  return 100.0 * static_cast<double>(within_2sd_) / static_cast<double>(sd_frames_);
}

std::optional<double> ErrorAccumulator::wape_before_pct() const {
  if (!(before_truth_sum_w_ > 0.0)) return std::nullopt;
  return 100.0 * before_abs_error_sum_w_ / before_truth_sum_w_;
}

std::optional<double> ErrorAccumulator::aggregate_error_before_pct() const {
  if (frames_with_estimates_ == 0) return std::nullopt;
  return 100.0 * before_aggregate_relative_sum_ / static_cast<double>(frames_with_estimates_);
}

}  // namespace migpower
