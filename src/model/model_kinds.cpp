#include "model/model_kinds.hpp"

#include <array>
#include <string>

#include "core/error.hpp"
#include "model/gbt_model.hpp"
#include "model/json_fields.hpp"
#include "model/linear_model.hpp"
#include "model/poly2_model.hpp"

namespace migpower {
namespace {

constexpr std::array kKinds = {
    ModelKindInfo{"linear", "ordinary least squares on the features, with an intercept"},
    ModelKindInfo{"ridge", "least squares with an L2 penalty (lambda) on standardized weights"},
    ModelKindInfo{"poly2", "ridge on every feature, square and pairwise product"},
    ModelKindInfo{"gbt", "gradient-boosted regression trees (XGBoost)"},
};

constexpr double kDefaultLambda = 1.0;

const std::string kWhere = "hyperparameters";

// The object, with `null` (no hyperparameters given) read as an empty one.
const nlohmann::json& hyperparameter_object(const nlohmann::json& hyperparameters) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  return hyperparameters.is_null() ? kEmpty : require_object(hyperparameters, kWhere);
}

// ridge needs lambda > 0 (at 0 it is `linear`); poly2 takes 0 as plain least squares.
double lambda_of(const nlohmann::json& object, bool zero_allowed) {
  reject_unknown_keys(object, {"lambda"}, kWhere);
  if (!object.contains("lambda")) return kDefaultLambda;
  const double lambda = finite_number_field(object, "lambda", kWhere);
  if (lambda < 0.0 || (lambda == 0.0 && !zero_allowed)) {
    throw InputError("field 'hyperparameters.lambda': must be " +
                     std::string(zero_allowed ? ">= 0" : "> 0") + ", found " +
                     json_excerpt(object.at("lambda")));
  }
  return lambda;
}

std::string known_kinds() {
  std::string names;
  for (const auto& info : kKinds) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

}  // namespace

std::span<const ModelKindInfo> model_kinds() { return kKinds; }

std::unique_ptr<PowerModel> make_power_model(std::string_view kind,
                                             const nlohmann::json& hyperparameters) {
  const nlohmann::json& object = hyperparameter_object(hyperparameters);
  if (kind == "linear") {
    reject_unknown_keys(object, {}, kWhere);
    return std::make_unique<LinearModel>();
  }
  if (kind == "ridge") return std::make_unique<LinearModel>(lambda_of(object, false));
  if (kind == "poly2") return std::make_unique<Poly2Model>(lambda_of(object, true));
  if (kind == "gbt") return std::make_unique<GbtModel>(object);
  throw InputError("unknown model kind '" + std::string(kind) + "'; one of: " + known_kinds());
}

nlohmann::json hyperparameters_of(const PowerModel& model) {
  if (const auto* linear = dynamic_cast<const LinearModel*>(&model)) {
    if (linear->kind() == "linear") return nlohmann::json::object();
    return {{"lambda", linear->lambda()}};
  }
  if (const auto* poly2 = dynamic_cast<const Poly2Model*>(&model)) {
    return {{"lambda", poly2->lambda()}};
  }
  if (const auto* gbt = dynamic_cast<const GbtModel*>(&model)) {
    return gbt->hyperparameters().to_json();
  }
  return nlohmann::json::object();
}

}  // namespace migpower
