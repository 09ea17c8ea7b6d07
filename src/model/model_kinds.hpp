#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string_view>

#include "model/power_model.hpp"

namespace migpower {

struct ModelKindInfo {
  std::string_view name;
  std::string_view description;
};

// Every offline model kind `migpower train --model` accepts.
[[nodiscard]] std::span<const ModelKindInfo> model_kinds();

// An unfitted model of `kind`. Hyperparameters (JSON object): `lambda` for ridge (default 1,
// > 0) and poly2 (default 1, >= 0); XGBoost's parameters for gbt (model/gbt_model.hpp); none for
// linear. Throws InputError for an unknown kind or an unknown or ill-typed hyperparameter,
// naming it ("hyperparameters.lambda").
[[nodiscard]] std::unique_ptr<PowerModel> make_power_model(
    std::string_view kind, const nlohmann::json& hyperparameters = {});

// The hyperparameters `model` was made with, every default filled in: what a model file
// records so the model can be made again.
[[nodiscard]] nlohmann::json hyperparameters_of(const PowerModel& model);

}  // namespace migpower
