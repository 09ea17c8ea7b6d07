#pragma once

#include <Eigen/Core>

#include "model/least_squares.hpp"
#include "model/power_model.hpp"

namespace migpower {

// Power as an affine function of the features, fitted by least squares (Eigen):
//   `linear`: ordinary least squares with an intercept;
//   `ridge`:  an L2 penalty `lambda` on the weights of the standardized features (not on the
//             intercept), which keeps collinear features (x·r and x·r³ on an unthrottled card)
//             from trading huge opposite weights.
// Fitting forms the centered normal equations in one pass over the rows (model/
// normal_equations.hpp) and solves a p×p system, so its cost is one read of the data.
class LinearModel final : public PowerModel {
 public:
  LinearModel();  // linear
  // ridge; throws InputError unless lambda is finite and > 0.
  explicit LinearModel(double ridge_lambda);

  [[nodiscard]] std::string_view kind() const override { return ridge_ ? "ridge" : "linear"; }
  // Throws InputError with fewer rows than the fit needs: features + 1 for linear, 2 for ridge.
  void fit(const FeatureMatrix& x, const Eigen::VectorXd& y) override;
  [[nodiscard]] double predict(std::span<const double> features) const override;
  void predict_all(const FeatureMatrix& x, Eigen::VectorXd& out) const override;
  // {"intercept": b, "coefficients": [w_0, …]}, in the features' own units.
  [[nodiscard]] nlohmann::json parameters() const override;
  void load_parameters(const nlohmann::json& parameters) override;

  [[nodiscard]] double lambda() const { return lambda_; }
  [[nodiscard]] double intercept() const { return fit_.intercept; }
  [[nodiscard]] const Eigen::VectorXd& coefficients() const { return fit_.coefficients; }

 private:
  bool ridge_ = false;
  double lambda_ = 0.0;
  AffineFit fit_;
};

}  // namespace migpower
