#include "model/gbt_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace migpower {
namespace {

using nlohmann::json;

// A power-like curve with what linear models cannot follow: a 100 W step (a clock or
// tensor-core switch-over), a quadratic, a linear term and an interaction.
double known_power(const double* x) {
  return 50.0 + (x[0] > 0.5 ? 100.0 : 0.0) + 80.0 * x[1] * x[1] + 20.0 * x[2] + 30.0 * x[3] * x[4];
}

struct Data {
  FeatureMatrix x;
  Eigen::VectorXd y;
};

Data make_data(Eigen::Index rows, unsigned seed, Eigen::Index columns = 5) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Data data{FeatureMatrix(rows, columns), Eigen::VectorXd(rows)};
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < columns; ++j) data.x(i, j) = unit(random);
    data.y[i] = known_power(data.x.row(i).data());
  }
  return data;
}

GbtHyperparameters small_and_fast() {
  GbtHyperparameters h;
  h.num_boost_round = 150;
  h.nthread = 1;  // tests must not depend on how busy the machine is
  return h;
}

std::span<const double> row(const FeatureMatrix& x, Eigen::Index i) {
  return {x.row(i).data(), static_cast<std::size_t>(x.cols())};
}

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const InputError& error) {
    return error.what();
  }
  return "(no InputError)";
}

class FittedGbt : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    train_ = new Data(make_data(8000, 1));
    test_ = new Data(make_data(2000, 2));
    model_ = new GbtModel(small_and_fast());
    model_->fit(train_->x, train_->y);
  }
  static void TearDownTestSuite() {
    delete model_;
    delete test_;
    delete train_;
  }
  static Data* train_;
  static Data* test_;
  static GbtModel* model_;
};
Data* FittedGbt::train_ = nullptr;
Data* FittedGbt::test_ = nullptr;
GbtModel* FittedGbt::model_ = nullptr;

TEST_F(FittedGbt, RecoversAStepPlusQuadraticOnUnseenRows) {
  double abs_error = 0.0;
  int large_errors = 0;
  for (Eigen::Index i = 0; i < test_->x.rows(); ++i) {
    const double error = std::abs(model_->predict(row(test_->x, i)) - test_->y[i]);
    abs_error += error;
    large_errors += error > 10.0 ? 1 : 0;
  }
  const double mean_abs_error = abs_error / static_cast<double>(test_->x.rows());
  // The target spans about 50–280 W; a linear fit of it errs by ~10 W on average.
  EXPECT_LT(mean_abs_error, 1.5);
  // Only rows within a histogram bin of the step may land on its wrong side.
  EXPECT_LT(large_errors, test_->x.rows() / 100) << large_errors << " rows off by > 10 W";
}

TEST_F(FittedGbt, TheStepIsSharp) {
  FeatureMatrix below(1, 5);
  below << 0.49, 0.5, 0.5, 0.5, 0.5;
  FeatureMatrix above = below;
  above(0, 0) = 0.51;
  EXPECT_NEAR(model_->predict(row(above, 0)) - model_->predict(row(below, 0)), 100.0, 6.0);
}

TEST_F(FittedGbt, PredictAllMatchesOneRowAtATime) {
  Eigen::VectorXd all;
  model_->predict_all(test_->x, all);
  ASSERT_EQ(all.size(), test_->x.rows());
  for (Eigen::Index i = 0; i < test_->x.rows(); ++i) {
    ASSERT_EQ(all[i], model_->predict(row(test_->x, i))) << "row " << i;
  }
}

TEST_F(FittedGbt, LargeBatchesOnSeveralThreadsPredictTheSame) {
  json saved = model_->parameters();
  saved["hyperparameters"]["nthread"] = 2;  // 2000 test rows: predict_all uses both threads
  GbtModel two_threads;
  two_threads.load_parameters(saved);
  Eigen::VectorXd batch;
  two_threads.predict_all(test_->x, batch);
  for (Eigen::Index i = 0; i < test_->x.rows(); ++i) {
    ASSERT_EQ(batch[i], model_->predict(row(test_->x, i))) << "row " << i;
    ASSERT_EQ(batch[i], two_threads.predict(row(test_->x, i))) << "row " << i;
  }
}

TEST_F(FittedGbt, ThreadsPredictingAtOnceGetTheSameAnswers) {
  Eigen::VectorXd expected;
  model_->predict_all(test_->x, expected);
  std::vector<Eigen::VectorXd> seen(4, Eigen::VectorXd(test_->x.rows()));
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&, t] {
      for (Eigen::Index i = 0; i < test_->x.rows(); ++i) {
        seen[t][i] = model_->predict(row(test_->x, i));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (const auto& answers : seen) EXPECT_EQ(answers, expected);
}

TEST_F(FittedGbt, ParametersRoundTripGivesIdenticalPredictions) {
  const json saved = json::parse(model_->parameters().dump());  // through text, as a file does
  EXPECT_TRUE(saved.at("booster").is_object());
  EXPECT_EQ(saved.at("feature_count"), 5);
  EXPECT_EQ(saved.at("hyperparameters").at("num_boost_round"), 150);

  GbtModel loaded;
  loaded.load_parameters(saved);
  EXPECT_EQ(loaded.hyperparameters().num_boost_round, 150);
  Eigen::VectorXd before;
  Eigen::VectorXd after;
  model_->predict_all(test_->x, before);
  loaded.predict_all(test_->x, after);
  for (Eigen::Index i = 0; i < test_->x.rows(); ++i) {
    ASSERT_EQ(before[i], after[i]) << "row " << i;
    ASSERT_EQ(before[i], loaded.predict(row(test_->x, i))) << "row " << i;
  }
  EXPECT_EQ(loaded.parameters(), saved);  // and saving again changes nothing
}

TEST_F(FittedGbt, WrongFeatureCountIsRefused) {
  const std::array<double, 4> four = {0.1, 0.2, 0.3, 0.4};
  EXPECT_EQ(error_of([&] { (void)model_->predict(four); }),
            "gbt: model fitted on 5 features is given 4");
  FeatureMatrix six = FeatureMatrix::Zero(3, 6);
  Eigen::VectorXd out;
  EXPECT_EQ(error_of([&] { model_->predict_all(six, out); }),
            "gbt: model fitted on 5 features is given 6");
}

TEST_F(FittedGbt, BoosterParametersRecordWhatXGBoostWasGiven) {
  const auto& parameters = model_->booster_parameters();
  const auto value = [&](const std::string& name) {
    for (const auto& [key, text] : parameters) {
      if (key == name) return text;
    }
    return std::string("(absent)");
  };
  EXPECT_EQ(value("max_depth"), "6");
  EXPECT_EQ(value("nthread"), "1");
  EXPECT_EQ(value("tree_method"), "hist");
  EXPECT_NEAR(std::stod(value("base_score")), train_->y.mean(), 1e-9);
}

TEST(GbtModel, SameSeedAndDataGiveIdenticalModels) {
  const Data data = make_data(3000, 3);
  GbtHyperparameters h = small_and_fast();
  h.subsample = 0.7;  // randomness that the seed must pin down
  h.colsample_bytree = 0.8;
  GbtModel first(h);
  GbtModel second(h);
  first.fit(data.x, data.y);
  second.fit(data.x, data.y);
  EXPECT_EQ(first.parameters().at("booster"), second.parameters().at("booster"));

  h.seed = 7;
  GbtModel other_seed(h);
  other_seed.fit(data.x, data.y);
  EXPECT_NE(first.parameters().at("booster"), other_seed.parameters().at("booster"));
}

TEST(GbtModel, DefaultsSuitPowerRegression) {
  const GbtHyperparameters h;
  EXPECT_EQ(h.max_depth, 6);
  EXPECT_DOUBLE_EQ(h.eta, 0.1);
  EXPECT_EQ(h.num_boost_round, 200);
  EXPECT_EQ(h.tree_method, "hist");
  EXPECT_EQ(h.objective, "reg:squarederror");
  EXPECT_GE(h.threads(), 1);
  EXPECT_EQ(GbtModel().kind(), "gbt");
}

TEST(GbtModel, HyperparametersFromJsonRoundTrip) {
  GbtModel model(json{{"max_depth", 4}, {"eta", 0.3}, {"num_boost_round", 20}, {"nthread", 1}});
  EXPECT_EQ(model.hyperparameters().max_depth, 4);
  EXPECT_DOUBLE_EQ(model.hyperparameters().eta, 0.3);
  EXPECT_EQ(model.hyperparameters().num_boost_round, 20);
  EXPECT_EQ(model.hyperparameters().lambda, 1.0);  // untouched keys keep their defaults
  const json written = model.hyperparameters().to_json();
  EXPECT_EQ(GbtHyperparameters::from_json(written).to_json(), written);
}

TEST(GbtModel, BadHyperparametersAreRefusedNamingTheKey) {
  EXPECT_EQ(error_of([] {
              GbtModel m(json{{"max_dept", 4}});
            }).rfind("hyperparameters: unknown key \"max_dept\" (known: max_depth, eta,", 0),
            0U);
  EXPECT_EQ(error_of([] {
              GbtModel m(json{{"eta", "fast"}});
            }),
            "hyperparameters.eta: expected a number");
  EXPECT_EQ(error_of([] {
              GbtModel m(json{{"max_depth", 2.5}});
            }),
            "hyperparameters.max_depth: expected an integer");
  EXPECT_EQ(error_of([] {
              GbtModel m(json{{"num_boost_round", 0}});
            }),
            "hyperparameters.num_boost_round: 0 is out of range (at least 1)");
  EXPECT_EQ(error_of([] {
              GbtModel m(json{{"eta", 0.0}});
            }),
            "hyperparameters.eta: 0 is out of range (0, 1]");
  EXPECT_EQ(error_of([] {
              GbtModel m(json::array({1, 2}));
            }),
            "hyperparameters: expected a JSON object");
}

TEST(GbtModel, XGBoostErrorsBecomeInputErrorsWithItsMessage) {
  const Data data = make_data(200, 4);
  GbtModel model(json{{"tree_method", "no_such_method"}, {"num_boost_round", 2}});
  const std::string error = error_of([&] { model.fit(data.x, data.y); });
  EXPECT_NE(error.find("gbt: XGBoost failed"), std::string::npos) << error;
  EXPECT_NE(error.find("no_such_method"), std::string::npos) << error;
  EXPECT_EQ(error.find("Stack trace"), std::string::npos) << error;
  EXPECT_THROW((void)model.predict(std::array<double, 5>{}), std::logic_error);  // still unfitted
}

TEST(GbtModel, UnusableTrainingDataIsRefused) {
  GbtModel model(json{{"num_boost_round", 2}});
  const Data data = make_data(10, 5);
  EXPECT_EQ(error_of([&] { model.fit(data.x, data.y.head(9)); }),
            "gbt: 10 feature rows but 9 targets");
  Eigen::VectorXd bad_target = data.y;
  bad_target[3] = std::nan("");
  EXPECT_EQ(error_of([&] { model.fit(data.x, bad_target); }),
            "gbt: a training target is not a finite number");
  EXPECT_EQ(error_of([&] { model.fit(FeatureMatrix(0, 5), Eigen::VectorXd(0)); }),
            "gbt: no training data (0 rows or columns)");
}

TEST(GbtModel, UsingAnUnfittedModelIsAProgrammingError) {
  const GbtModel model;
  EXPECT_THROW((void)model.predict(std::array<double, 5>{}), std::logic_error);
  EXPECT_THROW((void)model.parameters(), std::logic_error);
}

class SavedGbt : public ::testing::Test {
 protected:
  void SetUp() override {
    const Data data = make_data(500, 6);
    GbtModel model(json{{"num_boost_round", 5}, {"nthread", 1}});
    model.fit(data.x, data.y);
    saved_ = model.parameters();
  }
  json saved_;
};

TEST_F(SavedGbt, CorruptedBoosterIsRefusedNamingTheField) {
  saved_["booster"] = json{{"learner", "not a learner"}};
  GbtModel model;
  const std::string error = error_of([&] { model.load_parameters(saved_); });
  EXPECT_EQ(error, "gbt parameters.booster.learner: missing \"learner_model_param\"");
  EXPECT_THROW((void)model.predict(std::array<double, 5>{}), std::logic_error);
}

TEST_F(SavedGbt, BoosterXGBoostRefusesIsRefusedWithXGBoostsMessage) {
  saved_["booster"]["learner"]["objective"]["name"] = "reg:no-such-objective";
  GbtModel model;
  const std::string error = error_of([&] { model.load_parameters(saved_); });
  EXPECT_EQ(error.rfind("gbt: XGBoost failed loading gbt parameters.booster: ", 0), 0U) << error;
  EXPECT_THROW((void)model.predict(std::array<double, 5>{}), std::logic_error);
}

TEST_F(SavedGbt, MalformedParametersAreRefusedNamingTheField) {
  GbtModel model;
  json missing = saved_;
  missing.erase("booster");
  EXPECT_EQ(error_of([&] { model.load_parameters(missing); }),
            "gbt parameters: missing \"booster\"");
  json not_object = saved_;
  not_object["booster"] = "{}";
  EXPECT_EQ(error_of([&] { model.load_parameters(not_object); }),
            "gbt parameters.booster: expected a JSON object");
  json extra = saved_;
  extra["weights"] = json::array();
  EXPECT_EQ(error_of([&] { model.load_parameters(extra); }),
            "gbt parameters: unknown key \"weights\" (known: hyperparameters, feature_count, "
            "booster)");
  json bad_hyper = saved_;
  bad_hyper["hyperparameters"]["depth"] = 3;
  EXPECT_EQ(error_of([&] {
              model.load_parameters(bad_hyper);
            }).rfind("gbt parameters.hyperparameters: unknown key \"depth\"", 0),
            0U);
  EXPECT_EQ(error_of([&] { model.load_parameters(json::array()); }),
            "gbt parameters: expected a JSON object");
}

TEST_F(SavedGbt, FeatureCountThatDisagreesWithTheBoosterIsRefused) {
  saved_["feature_count"] = 22;
  GbtModel model;
  EXPECT_EQ(error_of([&] { model.load_parameters(saved_); }),
            "gbt parameters.booster.learner.learner_model_param.num_feature: 5, expected 22");
}

}  // namespace
}  // namespace migpower
