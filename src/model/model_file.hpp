#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/power_model.hpp"

namespace migpower {

// A trained offline model and where it came from, as `migpower train` writes it (JSON,
// docs/models.md describes every field).
inline constexpr int kModelFileVersion = 1;
inline constexpr std::string_view kModelFileFormat = "migpower-model";

// How far a model's predictions were from the targets on some rows.
struct FitError {
  std::size_t rows = 0;
  double mape_pct = 0.0;  // over the rows whose target is at least kMapeFloorW
  double rmse_w = 0.0;
  // A percentage of ~0 W means nothing: idle rows count in RMSE but not in MAPE.
  static constexpr double kMapeFloorW = 1.0;
};

// `model`'s error on (x, y); rows 0 gives zeros.
[[nodiscard]] FitError fit_error(const PowerModel& model, const FeatureMatrix& x,
                                 const Eigen::VectorXd& y);

// What the model was trained on.
struct TrainingSummary {
  std::string gpu_model;  // as the traces name it, e.g. "NVIDIA A100-SXM4-40GB"
  std::size_t rows = 0;   // training + validation rows
  std::size_t validation_rows = 0;
  double start_s = 0.0;  // earliest and latest timestamp of a row
  double end_s = 0.0;
  std::vector<std::string> workloads;  // the trained instances' workload labels
  std::vector<std::string> sources;    // trace files
  std::string static_power;            // how static power was taken out of the target
  // Frames read, and why those not used were skipped.
  std::size_t frames = 0;
  std::size_t frames_concurrent = 0;  // several instances active: own power not observable
  std::size_t frames_idle = 0;        // several instances, none active
  std::size_t frames_without_power = 0;
};

struct ModelFile {
  std::unique_ptr<PowerModel> model;
  nlohmann::json hyperparameters = nlohmann::json::object();
  TrainingSummary training;
  FitError training_error;
  std::optional<FitError> validation_error;  // none when trained without a hold-out
};

[[nodiscard]] nlohmann::json model_file_json(const ModelFile& file);
// Throws InputError when the file cannot be written.
void write_model_file(const std::string& path, const ModelFile& file);

// Reads and checks a model file. Throws InputError naming the file and the field for anything
// wrong: not JSON, another format or version, an unknown kind, a missing or ill-typed field,
// features other than this build's feature_names(), parameters that do not fit them.
[[nodiscard]] ModelFile read_model_file(const std::string& path);
// The same from the file's text; `name` is the file in messages.
[[nodiscard]] ModelFile parse_model_file(std::string_view text, const std::string& name);

// Whether two GPU model names mean the same card: by catalog entry where both are known
// ("NVIDIA A100-SXM4-40GB" and "A100-SXM4-40GB" are the same), else by name, ignoring case.
[[nodiscard]] bool same_gpu_model(std::string_view a, std::string_view b);

// Throws InputError unless `gpu_model` is the model `file` was trained on, or `force`.
// `name` is the model file in the message.
void require_gpu_model(const ModelFile& file, std::string_view gpu_model, const std::string& name,
                       bool force);

}  // namespace migpower
