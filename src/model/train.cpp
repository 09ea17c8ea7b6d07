#include "model/train.hpp"

#include <utility>

#include "model/model_kinds.hpp"

namespace migpower {

TrainingSet split_training_set(TrainingData data, double validation_fraction) {
  const ValidationSplit split = split_by_time_blocks(data, validation_fraction);
  TrainingSet set;
  take_rows(data, split.training, set.x_train, set.y_train);
  take_rows(data, split.validation, set.x_validation, set.y_validation);
  set.summary = std::move(data.summary);
  set.summary.validation_rows = split.validation.size();
  return set;
}

ModelFile fit_model_file(std::unique_ptr<PowerModel> model, const TrainingSet& set) {
  model->fit(set.x_train, set.y_train);
  ModelFile file;
  file.training_error = fit_error(*model, set.x_train, set.y_train);
  if (set.x_validation.rows() > 0) {
    file.validation_error = fit_error(*model, set.x_validation, set.y_validation);
  }
  file.hyperparameters = hyperparameters_of(*model);
  file.model = std::move(model);
  file.training = set.summary;
  return file;
}

}  // namespace migpower
