#include "model/linear_model.hpp"

#include <cmath>
#include <string>

#include "core/error.hpp"
#include "model/json_fields.hpp"
#include "model/normal_equations.hpp"

namespace migpower {

LinearModel::LinearModel() = default;

LinearModel::LinearModel(double ridge_lambda) : ridge_(true), lambda_(ridge_lambda) {
  if (!std::isfinite(ridge_lambda) || ridge_lambda <= 0.0) {
    throw InputError("ridge: lambda must be a finite number > 0, not " +
                     std::to_string(ridge_lambda) + " (use the linear model for no penalty)");
  }
}

void LinearModel::fit(const FeatureMatrix& x, const Eigen::VectorXd& y) {
  const auto needed = ridge_ ? Eigen::Index{2} : x.cols() + 1;
  if (x.rows() < needed) {
    throw InputError(std::string(kind()) + ": " + std::to_string(x.rows()) +
                     " training rows; at least " + std::to_string(needed) + " are needed for " +
                     std::to_string(x.cols()) + " features");
  }
  fit_ = solve_least_squares(linear_normal_equations(x, y), lambda_);
}

double LinearModel::predict(std::span<const double> features) const {
  const auto p = static_cast<std::size_t>(fit_.coefficients.size());
  if (features.size() != p) {
    throw InputError(std::string(kind()) + ": model takes " + std::to_string(p) +
                     " features, given " + std::to_string(features.size()));
  }
  double sum = fit_.intercept;
  for (std::size_t j = 0; j < p; ++j)
    sum += fit_.coefficients[static_cast<Eigen::Index>(j)] * features[j];
  return sum;
}

void LinearModel::predict_all(const FeatureMatrix& x, Eigen::VectorXd& out) const {
  if (x.cols() != fit_.coefficients.size()) {
    throw InputError(std::string(kind()) + ": model takes " +
                     std::to_string(fit_.coefficients.size()) + " features, given " +
                     std::to_string(x.cols()));
  }
  out.noalias() = x * fit_.coefficients;
  out.array() += fit_.intercept;
}

nlohmann::json LinearModel::parameters() const {
  return {
      {"intercept", fit_.intercept},
      {"coefficients", std::vector<double>(fit_.coefficients.data(),
                                           fit_.coefficients.data() + fit_.coefficients.size())}};
}

void LinearModel::load_parameters(const nlohmann::json& parameters) {
  const std::string where = "parameters";
  require_object(parameters, where);
  reject_unknown_keys(parameters, {"intercept", "coefficients"}, where);
  AffineFit loaded;
  loaded.intercept = finite_number_field(parameters, "intercept", where);
  const auto coefficients = number_array_field(parameters, "coefficients", where);
  loaded.coefficients = Eigen::Map<const Eigen::VectorXd>(
      coefficients.data(), static_cast<Eigen::Index>(coefficients.size()));
  fit_ = std::move(loaded);
}

}  // namespace migpower
