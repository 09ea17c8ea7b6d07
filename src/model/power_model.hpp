#pragma once

#include <Eigen/Core>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

namespace migpower {

// Training data: one row per sample, one column per feature. Row-major so a row is one
// instance's feature vector in memory, as XGBoost's C API and prediction want it.
using FeatureMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// An offline regression model: an instance's features (model/features.hpp) to its dynamic
// power in W. Kinds: linear, ridge, poly2 (Eigen), gbt (XGBoost). Model files
// (model/model_file.hpp) wrap one with its provenance.
class PowerModel {
 public:
  virtual ~PowerModel() = default;
  [[nodiscard]] virtual std::string_view kind() const = 0;
  // Fits y ≈ f(x). Throws InputError when the data cannot determine the model.
  virtual void fit(const FeatureMatrix& x, const Eigen::VectorXd& y) = 0;
  // One sample's prediction; features.size() is the column count fitted on.
  [[nodiscard]] virtual double predict(std::span<const double> features) const = 0;
  // Every row at once (batch paths may be faster than one row at a time).
  virtual void predict_all(const FeatureMatrix& x, Eigen::VectorXd& out) const;
  // The fitted parameters as JSON, and back. load throws InputError naming the bad field.
  [[nodiscard]] virtual nlohmann::json parameters() const = 0;
  virtual void load_parameters(const nlohmann::json& parameters) = 0;
};

}  // namespace migpower
