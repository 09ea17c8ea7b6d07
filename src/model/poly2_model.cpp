#include "model/poly2_model.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "model/json_fields.hpp"
#include "model/least_squares.hpp"
#include "model/normal_equations.hpp"

namespace migpower {

Poly2Model::Poly2Model(double lambda) : lambda_(lambda) {
  if (!std::isfinite(lambda) || lambda < 0.0) {
    throw InputError("poly2: lambda must be a finite number >= 0, not " + std::to_string(lambda));
  }
}

void Poly2Model::fit(const FeatureMatrix& x, const Eigen::VectorXd& y) {
  const auto p = static_cast<std::size_t>(x.cols());
  const auto needed = static_cast<Eigen::Index>(lambda_ > 0.0 ? 2 : poly2_size(p) + 1);
  if (x.rows() < needed) {
    throw InputError("poly2: " + std::to_string(x.rows()) + " training rows; at least " +
                     std::to_string(needed) + " are needed for " + std::to_string(p) + " features");
  }
  const AffineFit fit = solve_least_squares(poly2_normal_equations(x, y), lambda_);
  intercept_ = fit.intercept;
  linear_.assign(fit.coefficients.data(), fit.coefficients.data() + p);
  quadratic_.assign(fit.coefficients.data() + p, fit.coefficients.data() + fit.coefficients.size());
}

double Poly2Model::predict(std::span<const double> features) const {
  const std::size_t p = linear_.size();
  if (features.size() != p) {
    throw InputError("poly2: model takes " + std::to_string(p) + " features, given " +
                     std::to_string(features.size()));
  }
  double sum = intercept_;
  const double* w = quadratic_.data();
  for (std::size_t i = 0; i < p; ++i) {
    // x_i·(w_i + Σ_{j ≥ i} w_ij·x_j): one multiply per term.
    double inner = linear_[i];
    for (std::size_t j = i; j < p; ++j) inner += *w++ * features[j];
    sum += features[i] * inner;
  }
  return sum;
}

nlohmann::json Poly2Model::parameters() const {
  return {{"intercept", intercept_}, {"linear", linear_}, {"quadratic", quadratic_}};
}

void Poly2Model::load_parameters(const nlohmann::json& parameters) {
  const std::string where = "parameters";
  require_object(parameters, where);
  reject_unknown_keys(parameters, {"intercept", "linear", "quadratic"}, where);
  const double intercept = finite_number_field(parameters, "intercept", where);
  auto linear = number_array_field(parameters, "linear", where);
  const std::size_t p = linear.size();
  auto quadratic = number_array_field(parameters, "quadratic", where, p * (p + 1) / 2);
  intercept_ = intercept;
  linear_ = std::move(linear);
  quadratic_ = std::move(quadratic);
}

}  // namespace migpower
