#include "model/gbt_booster_check.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "core/error.hpp"
#include "model/gbt_model.hpp"

namespace migpower {
namespace {

using nlohmann::json;

// The booster JSON of a small real model, as GbtModel::parameters() writes it.
json trained_booster() {
  std::mt19937_64 random(3);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  FeatureMatrix x(200, 3);
  Eigen::VectorXd y(200);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    for (Eigen::Index j = 0; j < x.cols(); ++j) x(i, j) = unit(random);
    y[i] = x(i, 0) > 0.5 ? 100.0 : 20.0 * x(i, 1);
  }
  GbtHyperparameters h;
  h.num_boost_round = 3;
  h.nthread = 1;
  GbtModel model(h);
  model.fit(x, y);
  return model.parameters().at("booster");
}

std::string error_of(const json& booster, std::size_t features = 3) {
  try {
    check_booster_json(booster, features, "model.json: parameters.booster");
  } catch (const InputError& error) {
    return error.what();
  }
  return "(accepted)";
}

json& model_of(json& booster) { return booster["learner"]["gradient_booster"]["model"]; }

TEST(GbtBoosterCheck, AcceptsWhatGbtWrites) {
  EXPECT_EQ(error_of(trained_booster()), "(accepted)");
}

TEST(GbtBoosterCheck, RefusesAMissingTreeCountThatCrashedXgboost) {
  json booster = trained_booster();
  model_of(booster)["gbtree_model_param"].erase("num_trees");
  EXPECT_NE(error_of(booster).find("num_trees"), std::string::npos) << error_of(booster);
}

TEST(GbtBoosterCheck, RefusesATreeCountThatDisagreesWithTheTrees) {
  json booster = trained_booster();
  model_of(booster)["gbtree_model_param"]["num_trees"] = "7";
  EXPECT_NE(error_of(booster).find("expected 7 trees"), std::string::npos) << error_of(booster);
}

TEST(GbtBoosterCheck, RefusesChildIndicesOutOfRangeAndShortArrays) {
  json booster = trained_booster();
  json& tree = model_of(booster)["trees"][0];
  tree["left_children"][0] = 999;
  EXPECT_NE(error_of(booster).find("child index out of range"), std::string::npos);

  booster = trained_booster();
  model_of(booster)["trees"][0]["split_conditions"].erase(0);
  EXPECT_NE(error_of(booster).find("split_conditions"), std::string::npos);
}

TEST(GbtBoosterCheck, RefusesSplitsOnFeaturesTheModelDoesNotHave) {
  EXPECT_NE(error_of(trained_booster(), 2).find("num_feature"), std::string::npos);
  json booster = trained_booster();
  json& tree = model_of(booster)["trees"][0];
  ASSERT_NE(tree["left_children"][0], -1) << "the first tree should split at its root";
  tree["split_indices"][0] = 3;
  EXPECT_NE(error_of(booster).find("split feature out of range"), std::string::npos);
}

TEST(GbtBoosterCheck, RefusesARepeatedTreeIdThatCrashedXgboost) {
  json booster = trained_booster();
  ASSERT_GE(model_of(booster)["trees"].size(), 2U);
  model_of(booster)["trees"][0]["id"] = 1;
  EXPECT_NE(error_of(booster).find("trees[0].id: expected 0"), std::string::npos)
      << error_of(booster);
}

TEST(GbtBoosterCheck, RefusesChildrenThatFormACycleThatHungXgboost) {
  json booster = trained_booster();
  json& tree = model_of(booster)["trees"][0];
  ASSERT_NE(tree["left_children"][0], -1) << "the first tree should split at its root";
  const std::size_t child = tree["left_children"][0].get<std::size_t>();
  ASSERT_NE(tree["left_children"][child], -1) << "the root's left child should split too";
  tree["left_children"][child] = child;  // the child is its own left child
  EXPECT_NE(error_of(booster).find("reached twice"), std::string::npos) << error_of(booster);

  booster = trained_booster();
  json& shared = model_of(booster)["trees"][0];
  shared["right_children"][0] = shared["left_children"][0];  // one node, two parents' children
  EXPECT_NE(error_of(booster).find("reached twice"), std::string::npos) << error_of(booster);
}

TEST(GbtBoosterCheck, RefusesValuesXgboostCouldNotWriteBackAsJson) {
  json booster = trained_booster();
  model_of(booster)["trees"][0]["split_conditions"][0] = 1.9e76;  // beyond a float: "Infinity"
  EXPECT_NE(error_of(booster).find("split_conditions[0]: expected a number within a 32-bit"),
            std::string::npos)
      << error_of(booster);

  for (const char* score : {"1E76", "inf", "", "12 W"}) {
    booster = trained_booster();
    booster["learner"]["learner_model_param"]["base_score"] = score;
    EXPECT_NE(error_of(booster).find("base_score: expected a finite number"), std::string::npos)
        << score << ": " << error_of(booster);
  }
}

TEST(GbtBoosterCheck, RefusesClassifiersAndSeveralTargets) {
  json booster = trained_booster();
  booster["learner"]["learner_model_param"]["num_class"] = "2";
  EXPECT_NE(error_of(booster).find("num_class: expected 0"), std::string::npos);
  booster = trained_booster();
  booster["learner"]["learner_model_param"]["num_target"] = "3";
  EXPECT_NE(error_of(booster).find("num_target: expected 1"), std::string::npos);
}

TEST(GbtBoosterCheck, TheModelLoaderRunsTheCheck) {
  json parameters;
  {
    json booster = trained_booster();
    model_of(booster)["gbtree_model_param"].erase("num_trees");
    GbtHyperparameters h;
    h.num_boost_round = 3;
    h.nthread = 1;
    GbtModel model(h);
    FeatureMatrix x = FeatureMatrix::Random(50, 3);
    Eigen::VectorXd y = x.col(0);
    model.fit(x, y);
    parameters = model.parameters();
    parameters["booster"] = booster;
  }
  GbtModel loaded;
  EXPECT_THROW(loaded.load_parameters(parameters), InputError);
}

}  // namespace
}  // namespace migpower
