#include "model/workload_models.hpp"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>

namespace migpower {

WorkloadModel::WorkloadModel(double relative_ridge) : relative_ridge_(relative_ridge) {}

void WorkloadModel::learn(std::span<const double, kFeatureCount> features, double dynamic_w) {
  const Eigen::Map<const Vector> x(features.data());
  xtx_.selfadjointView<Eigen::Lower>().rankUpdate(x);
  xty_ += dynamic_w * x;
  ++frames_;
  stale_ = true;
}

void WorkloadModel::refit() {
  stale_ = false;
  Matrix a = xtx_.selfadjointView<Eigen::Lower>();
  const double mean_diagonal = a.trace() / static_cast<double>(kFeatureCount);
  if (!(mean_diagonal > 0.0)) {  // only all-zero features so far: nothing to learn from
    coefficients_.setZero();
    return;
  }
  a.diagonal().array() += relative_ridge_ * mean_diagonal;
  coefficients_ = a.ldlt().solve(xty_);
  if (!coefficients_.allFinite()) coefficients_.setZero();
}

double WorkloadModel::predict(std::span<const double, kFeatureCount> features) {
  if (stale_) refit();
  return Eigen::Map<const Vector>(features.data()).dot(coefficients_);
}

WorkloadModels::WorkloadModels(WorkloadModelSettings settings) : settings_(settings) {}

std::size_t WorkloadModels::entry_index(const std::string& gpu_uuid,
                                        const InstanceSample& instance) {
  for (std::size_t k = 0; k < entries_.size(); ++k) {
    const Entry& e = entries_[k];
    if (e.gpu_i_id == instance.gpu_i_id && e.gpu_uuid == gpu_uuid &&
        e.profile == instance.profile && e.workload == instance.workload) {
      return k;
    }
  }
  entries_.push_back({gpu_uuid, instance.gpu_i_id, instance.profile, instance.workload,
                      WorkloadModel(settings_.relative_ridge)});
  return entries_.size() - 1;
}

double WorkloadModels::dynamic_range_w(const Frame& frame, const CardContext& card,
                                       double static_w) {
  if (card.model != nullptr) return std::max(card.model->tdp_w - card.model->idle_w, 1.0);
  auto it = std::find_if(ranges_.begin(), ranges_.end(),
                         [&](const GpuRange& r) { return r.gpu_uuid == frame.gpu_uuid; });
  if (it == ranges_.end()) it = ranges_.insert(ranges_.end(), {frame.gpu_uuid, 0.0});
  if (frame.power_w && std::isfinite(*frame.power_w)) {
    it->max_power_w = std::max(it->max_power_w, *frame.power_w);
  }
  return std::max(it->max_power_w - static_w, 1.0);
}

int WorkloadModels::isolated_instance(const Frame& frame) const {
  int active = -1;
  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    const auto gr = frame.instances[i].get(Activity::gr_engine);
    // An instance that does not report its activity may be busy: its power is not known idle.
    if (!gr || !std::isfinite(*gr)) return -1;
    if (*gr < settings_.active_threshold) continue;
    if (active >= 0) return -1;  // two busy instances: neither's power is observable
    active = static_cast<int>(i);
  }
  return active;
}

void WorkloadModels::estimate_and_learn(const Frame& frame, double static_w,
                                        std::span<double> out) {
  const std::size_t n = frame.instances.size();
  const CardContext card = extractor_.card(frame);
  const double range_w = dynamic_range_w(frame, card, static_w);
  frame_entries_.resize(n);
  frame_features_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const InstanceSample& instance = frame.instances[i];
    frame_entries_[i] = entry_index(frame.gpu_uuid, instance);
    FeatureExtractor::instance_features(card, instance, frame_features_[i]);
  }
  // Predict before learning, so that an estimate never uses its own frame's measurement.
  for (std::size_t i = 0; i < n && i < out.size(); ++i) {
    WorkloadModel& model = entries_[frame_entries_[i]].model;
    if (model.frames() >= settings_.min_isolated_frames) {
      out[i] = std::max(model.predict(frame_features_[i]), 0.0);
    } else {
      const InstanceSample& instance = frame.instances[i];
      const double gr = std::clamp(instance.get(Activity::gr_engine).value_or(0.0), 0.0, 1.0);
      out[i] =
          std::isfinite(gr) ? gr * FeatureExtractor::compute_share(card, instance) * range_w : 0.0;
    }
  }
  const int learner = isolated_instance(frame);
  if (learner < 0 || !frame.power_w || !std::isfinite(*frame.power_w)) return;
  const auto k = static_cast<std::size_t>(learner);
  entries_[frame_entries_[k]].model.learn(frame_features_[k], *frame.power_w - static_w);
}

const WorkloadModel* WorkloadModels::find(std::string_view gpu_uuid, int gpu_i_id,
                                          std::string_view workload) const {
  for (const auto& e : entries_) {
    if (e.gpu_uuid == gpu_uuid && e.gpu_i_id == gpu_i_id && e.workload == workload) {
      return &e.model;
    }
  }
  return nullptr;
}

std::size_t WorkloadModels::modelled_instances() const {
  return static_cast<std::size_t>(std::count_if(
      entries_.begin(), entries_.end(),
      [&](const auto& e) { return e.model.frames() >= settings_.min_isolated_frames; }));
}

}  // namespace migpower
