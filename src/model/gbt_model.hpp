#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/power_model.hpp"

namespace migpower {

// XGBoost's knobs for the `gbt` model. Defaults suit power regression: a few hundred shallow
// trees with a modest learning rate fit saturating and threshold-like curves (clock steps,
// tensor-core switch-over) without overfitting traces of some 10⁴–10⁶ rows.
struct GbtHyperparameters {
  int max_depth = 6;
  double eta = 0.1;
  int num_boost_round = 200;
  std::string tree_method = "hist";
  std::string objective = "reg:squarederror";
  int nthread = 0;  // 0: every hardware thread
  int seed = 0;
  double subsample = 1.0;
  double colsample_bytree = 1.0;
  double min_child_weight = 1.0;
  double lambda = 1.0;  // L2 penalty on leaf weights
  double alpha = 0.0;   // L1 penalty on leaf weights
  double gamma = 0.0;   // least loss reduction to split
  int max_bin = 256;

  // Reads any subset of the keys above; unknown keys and wrong types are InputErrors naming the
  // key. `where` prefixes the key in messages ("hyperparameters.eta").
  static GbtHyperparameters from_json(const nlohmann::json& object,
                                      const std::string& where = "hyperparameters");
  [[nodiscard]] nlohmann::json to_json() const;
  // nthread with 0 resolved to the hardware thread count.
  [[nodiscard]] int threads() const;
};

// Gradient-boosted regression trees through XGBoost's C API (Debian's libxgboost). Training
// hands XGBoost the FeatureMatrix's own double buffer (an array interface, no copy on our side);
// prediction is XGBoost's in-place prediction on the caller's rows, on the caller's thread.
// predict() may be called from several threads: calls on one model take turns.
class GbtModel final : public PowerModel {
 public:
  GbtModel();
  explicit GbtModel(GbtHyperparameters hyperparameters);
  // From the `hyperparameters` object of a model file or the CLI.
  explicit GbtModel(const nlohmann::json& hyperparameters);
  ~GbtModel() override;
  GbtModel(GbtModel&& other) noexcept;
  GbtModel& operator=(GbtModel&& other) noexcept;

  [[nodiscard]] std::string_view kind() const override { return "gbt"; }
  void fit(const FeatureMatrix& x, const Eigen::VectorXd& y) override;
  [[nodiscard]] double predict(std::span<const double> features) const override;
  void predict_all(const FeatureMatrix& x, Eigen::VectorXd& out) const override;
  // {"hyperparameters": {...}, "feature_count": n, "booster": XGBoost's JSON model}.
  [[nodiscard]] nlohmann::json parameters() const override;
  void load_parameters(const nlohmann::json& parameters) override;

  [[nodiscard]] const GbtHyperparameters& hyperparameters() const { return hyperparameters_; }
  // The (name, value) pairs the last fit gave XGBoosterSetParam, base_score included: what a
  // caller needs to train the same model elsewhere (bench/model/xgboost_compare.py does).
  [[nodiscard]] const std::vector<std::pair<std::string, std::string>>& booster_parameters() const {
    return booster_parameters_;
  }

 private:
  struct BoosterFree {
    void operator()(void* booster) const;
  };
  struct InplacePredictor;  // XGBoost's proxy matrix for in-place prediction, and its lock
  // Sets the booster up for prediction: one thread, a proxy matrix kept between calls.
  void prepare_prediction();
  // Predictions for `rows` contiguous rows of feature_count_ doubles at `data`.
  void predict_rows(const double* data, std::size_t rows, double* out) const;
  void require_fitted() const;

  GbtHyperparameters hyperparameters_;
  std::vector<std::pair<std::string, std::string>> booster_parameters_;
  std::unique_ptr<void, BoosterFree> booster_;
  std::unique_ptr<InplacePredictor> predictor_;
  std::size_t feature_count_ = 0;
};

}  // namespace migpower
