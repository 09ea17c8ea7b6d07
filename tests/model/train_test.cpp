#include "model/train.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "model/model_kinds.hpp"
#include "model/synthetic_card.hpp"
#include "model/training_data.hpp"

namespace migpower {
namespace {

// A full-GPU (7g) synthetic card: every frame has one instance, so every frame is a row.
TrainingData full_card_rows(double duration_s) {
  testing::SyntheticOptions options;
  options.duration_s = duration_s;
  options.profiles = {"7g.40gb"};
  options.job_group = {0};
  testing::SyntheticCard card(options);
  TrainingDataBuilder builder;
  builder.add(card, "synthetic.csv");
  return builder.finish();
}

TEST(TrainTest, SplitHoldsOutValidationRowsAndCountsThemInTheSummary) {
  TrainingData data = full_card_rows(600.0);
  const FeatureMatrix all_x = data.x;
  const std::size_t rows = data.summary.rows;
  ASSERT_GT(rows, 500u);
  const TrainingSet set = split_training_set(std::move(data), 0.2);
  EXPECT_EQ(static_cast<std::size_t>(set.x_train.rows() + set.x_validation.rows()), rows);
  EXPECT_EQ(set.y_train.size(), set.x_train.rows());
  EXPECT_EQ(set.y_validation.size(), set.x_validation.rows());
  EXPECT_EQ(set.summary.validation_rows, static_cast<std::size_t>(set.x_validation.rows()));
  EXPECT_NEAR(static_cast<double>(set.summary.validation_rows) / static_cast<double>(rows), 0.2,
              0.02);
  EXPECT_EQ(set.summary.sources.size(), 1u);
  EXPECT_EQ(set.x_train.cols(), all_x.cols());
}

TEST(TrainTest, FittedModelFileCarriesErrorsOnBothPartsAndTheSummary) {
  const TrainingSet set = split_training_set(full_card_rows(600.0), 0.2);
  const ModelFile file = fit_model_file(make_power_model("linear"), set);
  ASSERT_NE(file.model, nullptr);
  EXPECT_EQ(file.model->kind(), "linear");
  EXPECT_EQ(file.training_error.rows, static_cast<std::size_t>(set.x_train.rows()));
  ASSERT_TRUE(file.validation_error.has_value());
  EXPECT_EQ(file.validation_error->rows, static_cast<std::size_t>(set.x_validation.rows()));
  // The card's power is linear in the features plus 1 W of noise: a linear fit is that close.
  EXPECT_LT(file.training_error.rmse_w, 3.0);
  EXPECT_LT(file.validation_error->rmse_w, 3.0);
  // The errors are the model's own on those rows.
  const FitError again = fit_error(*file.model, set.x_validation, set.y_validation);
  EXPECT_DOUBLE_EQ(again.rmse_w, file.validation_error->rmse_w);
  EXPECT_EQ(file.training.rows, set.summary.rows);
  EXPECT_EQ(file.training.validation_rows, set.summary.validation_rows);
  EXPECT_EQ(file.hyperparameters, hyperparameters_of(*file.model));
}

TEST(TrainTest, NoHoldOutFitsEveryRowAndHasNoValidationError) {
  const TrainingSet set = split_training_set(full_card_rows(300.0), 0.0);
  EXPECT_EQ(set.x_validation.rows(), 0);
  EXPECT_EQ(set.summary.validation_rows, 0u);
  const ModelFile file = fit_model_file(make_power_model("ridge"), set);
  EXPECT_FALSE(file.validation_error.has_value());
  EXPECT_EQ(file.training_error.rows, set.summary.rows);
}

}  // namespace
}  // namespace migpower
