#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attribution/dynamic_estimator.hpp"
#include "model/features.hpp"
#include "model/model_file.hpp"

namespace migpower {

// The offline methods (`linear`, `ridge`, `poly2`, `gbt`): each instance's dynamic power is
// what a model trained by `migpower train` predicts from that instance's features; attribution
// then scales the predictions to the measured dynamic power. The model learns nothing while it
// runs. A model trained on another GPU model is refused at that GPU's first frame, unless forced.
class OfflineModelEstimator final : public DynamicEstimator {
 public:
  // `file_name` names the model file in messages.
  OfflineModelEstimator(ModelFile model, std::string file_name, bool force_gpu_model = false);

  // Reads the model file; throws InputError when it cannot be used or holds another kind than
  // `expected_kind` (when not empty).
  [[nodiscard]] static std::unique_ptr<OfflineModelEstimator> from_file(
      const std::string& path, std::string_view expected_kind, bool force_gpu_model);

  void estimate(const Frame& frame, std::span<double> out) override;
  [[nodiscard]] std::string_view name() const override { return model_.model->kind(); }
  [[nodiscard]] bool estimates_watts() const override { return true; }

  [[nodiscard]] const ModelFile& model_file() const { return model_; }

 private:
  void check_gpu(const Frame& frame);

  ModelFile model_;
  std::string file_name_;
  bool force_gpu_model_;
  FeatureExtractor extractor_;
  // GPUs whose model has been checked, with the model name it was checked under.
  std::vector<std::pair<std::string, std::string>> checked_gpus_;
  FeatureVector features_{};
};

}  // namespace migpower
