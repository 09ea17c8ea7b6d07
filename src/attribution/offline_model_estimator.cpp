#include "attribution/offline_model_estimator.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace migpower {

OfflineModelEstimator::OfflineModelEstimator(ModelFile model, std::string file_name,
                                             bool force_gpu_model)
    : model_(std::move(model)),
      file_name_(std::move(file_name)),
      force_gpu_model_(force_gpu_model) {
  if (!model_.model) throw InputError(file_name_ + ": no model in the model file");
}

std::unique_ptr<OfflineModelEstimator> OfflineModelEstimator::from_file(
    const std::string& path, std::string_view expected_kind, bool force_gpu_model) {
  ModelFile file = read_model_file(path);
  if (!expected_kind.empty() && file.model->kind() != expected_kind) {
    throw InputError(path + ": holds a " + std::string(file.model->kind()) + " model, not " +
                     std::string(expected_kind) + "; use --method " +
                     std::string(file.model->kind()) + " with this file");
  }
  return std::make_unique<OfflineModelEstimator>(std::move(file), path, force_gpu_model);
}

void OfflineModelEstimator::check_gpu(const Frame& frame) {
  for (const auto& [uuid, model] : checked_gpus_) {
    if (uuid == frame.gpu_uuid && model == frame.gpu_model) return;
  }
  require_gpu_model(model_, frame.gpu_model, file_name_, force_gpu_model_);
  auto it = std::find_if(checked_gpus_.begin(), checked_gpus_.end(),
                         [&](const auto& gpu) { return gpu.first == frame.gpu_uuid; });
  if (it == checked_gpus_.end()) {
    checked_gpus_.emplace_back(frame.gpu_uuid, frame.gpu_model);
  } else {
    it->second = frame.gpu_model;
  }
}

void OfflineModelEstimator::estimate(const Frame& frame, std::span<double> out) {
  check_gpu(frame);
  const CardContext card = extractor_.card(frame);
  for (std::size_t i = 0; i < frame.instances.size(); ++i) {
    FeatureExtractor::instance_features(card, frame.instances[i], features_);
    const double watts = model_.model->predict(features_);
    // A model may dip below zero near idle; a share cannot.
    out[i] = std::isfinite(watts) ? std::max(watts, 0.0) : 0.0;
  }
}

}  // namespace migpower
