#pragma once

#include <Eigen/Core>
#include <memory>

#include "model/features.hpp"
#include "model/model_file.hpp"
#include "model/power_model.hpp"
#include "model/training_data.hpp"

// Training an offline model, as `migpower train` and the paper experiment both do it: split the
// rows into training and held-out validation rows once, then fit any number of models on them.
namespace migpower {

// Training rows, split by time blocks into the rows a model is fitted to and those held out.
struct TrainingSet {
  FeatureMatrix x_train;
  Eigen::VectorXd y_train;
  FeatureMatrix x_validation;  // no rows when nothing is held out
  Eigen::VectorXd y_validation;
  TrainingSummary summary;  // with validation_rows set
};

// Splits `data` (split_by_time_blocks, `validation_fraction` of each trace held out). Takes the
// data by value: its full matrix is not needed once split.
[[nodiscard]] TrainingSet split_training_set(TrainingData data, double validation_fraction);

// Fits `model` on the training rows and measures it on both parts: a model file ready to write.
[[nodiscard]] ModelFile fit_model_file(std::unique_ptr<PowerModel> model, const TrainingSet& set);

}  // namespace migpower
