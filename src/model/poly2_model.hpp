#pragma once

#include <Eigen/Core>
#include <vector>

#include "model/power_model.hpp"

namespace migpower {

// `poly2`: ridge regression on the degree-2 polynomial expansion of the features — every
// feature, every square and every pairwise product (scikit-learn's PolynomialFeatures(2)) — so
// saturating curves and interactions (tensor × DRAM) are followed. The 22 features expand to
// 275 terms; lambda penalizes their standardized weights (not the intercept). The expanded
// matrix is never built: fitting sums the moments of the raw features up to degree 4
// (model/normal_equations.hpp), and prediction evaluates the quadratic form directly.
class Poly2Model final : public PowerModel {
 public:
  // lambda ≥ 0 (0: ordinary least squares on the expansion, minimum-norm where collinear).
  explicit Poly2Model(double lambda = 1.0);

  [[nodiscard]] std::string_view kind() const override { return "poly2"; }
  // Throws InputError with fewer than 2 rows (lambda > 0) or expansion size + 1 (lambda 0).
  void fit(const FeatureMatrix& x, const Eigen::VectorXd& y) override;
  [[nodiscard]] double predict(std::span<const double> features) const override;
  // {"intercept": b, "linear": [w_i], "quadratic": [w_ij for i ≤ j, in (i, j) order]}.
  [[nodiscard]] nlohmann::json parameters() const override;
  void load_parameters(const nlohmann::json& parameters) override;

  [[nodiscard]] double lambda() const { return lambda_; }
  [[nodiscard]] double intercept() const { return intercept_; }
  [[nodiscard]] const std::vector<double>& linear() const { return linear_; }
  [[nodiscard]] const std::vector<double>& quadratic() const { return quadratic_; }

 private:
  double lambda_;
  double intercept_ = 0.0;
  std::vector<double> linear_;
  std::vector<double> quadratic_;
};

}  // namespace migpower
