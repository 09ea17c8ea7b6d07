#include "model/model_kinds.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "model/linear_model.hpp"
#include "model/poly2_model.hpp"

namespace migpower {
namespace {

using nlohmann::json;

std::string error_of(std::string_view kind, const json& hyperparameters) {
  try {
    static_cast<void>(make_power_model(kind, hyperparameters));
  } catch (const InputError& e) {
    return e.what();
  }
  return "no error";
}

TEST(ModelKindsTest, EveryListedKindCanBeMade) {
  std::vector<std::string> names;
  for (const auto& info : model_kinds()) {
    const auto model = make_power_model(info.name);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->kind(), info.name);
    EXPECT_FALSE(info.description.empty());
    names.emplace_back(info.name);
  }
  EXPECT_EQ(names, (std::vector<std::string>{"linear", "ridge", "poly2", "gbt"}));
}

TEST(ModelKindsTest, LambdaReachesTheModel) {
  const auto ridge = make_power_model("ridge", json{{"lambda", 2.5}});
  EXPECT_EQ(dynamic_cast<const LinearModel&>(*ridge).lambda(), 2.5);
  const auto poly2 = make_power_model("poly2", json{{"lambda", 0}});
  EXPECT_EQ(dynamic_cast<const Poly2Model&>(*poly2).lambda(), 0.0);
  EXPECT_EQ(hyperparameters_of(*ridge), (json{{"lambda", 2.5}}));
  EXPECT_EQ(hyperparameters_of(*make_power_model("ridge")), (json{{"lambda", 1.0}}));
  EXPECT_EQ(hyperparameters_of(*make_power_model("linear")), json::object());
}

TEST(ModelKindsTest, HyperparametersOfGbtMakeTheSameModelAgain) {
  const auto gbt = make_power_model("gbt", json{{"max_depth", 3}});
  const json recorded = hyperparameters_of(*gbt);
  EXPECT_EQ(recorded.at("max_depth"), 3);
  EXPECT_EQ(hyperparameters_of(*make_power_model("gbt", recorded)), recorded);
}

TEST(ModelKindsTest, ErrorsNameTheKindOrTheHyperparameter) {
  const std::string unknown = error_of("forest", json::object());
  EXPECT_NE(unknown.find("forest"), std::string::npos);
  EXPECT_NE(unknown.find("linear, ridge, poly2, gbt"), std::string::npos) << unknown;
  EXPECT_NE(error_of("ridge", json{{"lambda", "big"}}).find("hyperparameters.lambda"),
            std::string::npos);
  EXPECT_NE(error_of("ridge", json{{"lambda", 0}}).find("> 0"), std::string::npos);
  EXPECT_NE(error_of("poly2", json{{"lambda", -1}}).find(">= 0"), std::string::npos);
  EXPECT_NE(error_of("ridge", json{{"lamda", 1}}).find("hyperparameters.lamda"), std::string::npos);
  EXPECT_NE(error_of("linear", json{{"lambda", 1}}).find("hyperparameters.lambda"),
            std::string::npos);
  EXPECT_NE(error_of("ridge", json::array()).find("hyperparameters"), std::string::npos);
}

}  // namespace
}  // namespace migpower
