#include "model/model_file.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "model/features.hpp"
#include "model/json_fields.hpp"
#include "model/model_kinds.hpp"

namespace migpower {
namespace {

using nlohmann::json;

json error_json(const FitError& error) {
  return {{"rows", error.rows}, {"mape_pct", error.mape_pct}, {"rmse_w", error.rmse_w}};
}

FitError parse_error_json(const json& value, const std::string& where) {
  require_object(value, where);
  reject_unknown_keys(value, {"rows", "mape_pct", "rmse_w"}, where);
  FitError error;
  error.rows = count_field(value, "rows", where);
  error.mape_pct = finite_number_field(value, "mape_pct", where);
  error.rmse_w = finite_number_field(value, "rmse_w", where);
  return error;
}

json training_json(const TrainingSummary& t) {
  return {{"gpu_model", t.gpu_model},
          {"rows", t.rows},
          {"validation_rows", t.validation_rows},
          {"start_s", t.start_s},
          {"end_s", t.end_s},
          {"span_s", t.end_s - t.start_s},
          {"workloads", t.workloads},
          {"sources", t.sources},
          {"static_power", t.static_power},
          {"frames",
           {{"read", t.frames},
            {"concurrent", t.frames_concurrent},
            {"idle", t.frames_idle},
            {"without_power", t.frames_without_power}}}};
}

TrainingSummary parse_training_json(const json& value) {
  const std::string where = "training";
  require_object(value, where);
  reject_unknown_keys(value,
                      {"gpu_model", "rows", "validation_rows", "start_s", "end_s", "span_s",
                       "workloads", "sources", "static_power", "frames"},
                      where);
  TrainingSummary t;
  t.gpu_model = string_field(value, "gpu_model", where);
  t.rows = count_field(value, "rows", where);
  t.validation_rows = count_field(value, "validation_rows", where);
  t.start_s = finite_number_field(value, "start_s", where);
  t.end_s = finite_number_field(value, "end_s", where);
  t.workloads = string_array_field(value, "workloads", where);
  t.sources = string_array_field(value, "sources", where);
  t.static_power = string_field(value, "static_power", where);
  const std::string frames_where = where + ".frames";
  const json& frames = require_object(required_field(value, "frames", where), frames_where);
  reject_unknown_keys(frames, {"read", "concurrent", "idle", "without_power"}, frames_where);
  t.frames = count_field(frames, "read", frames_where);
  t.frames_concurrent = count_field(frames, "concurrent", frames_where);
  t.frames_idle = count_field(frames, "idle", frames_where);
  t.frames_without_power = count_field(frames, "without_power", frames_where);
  if (t.validation_rows > t.rows) {
    throw InputError("field 'training.validation_rows': more than training.rows");
  }
  return t;
}

void check_features(const json& file) {
  const auto names = string_array_field(file, "features", "");
  const auto expected = feature_names();
  const auto [file_end, here_end] =
      std::mismatch(names.begin(), names.end(), expected.begin(), expected.end());
  if (file_end == names.end() && here_end == expected.end()) return;
  const auto quoted = [](auto at, auto end) {
    return at == end ? std::string("nothing") : "'" + *at + "'";
  };
  throw InputError("field 'features': feature " + std::to_string(file_end - names.begin()) +
                   " is " + quoted(file_end, names.end()) + " where this migpower computes " +
                   quoted(here_end, expected.end()) + " (" + std::to_string(names.size()) +
                   " features in the file, " + std::to_string(expected.size()) +
                   " here): retrain the model with this version");
}

// nlohmann's messages start with "[json.exception.parse_error.101] ": the rest is the news.
std::string parse_message(const std::exception& e) {
  std::string message = e.what();
  if (const auto end = message.find("] ");
      message.rfind("[json.", 0) == 0 && end != std::string::npos) {
    message.erase(0, end + 2);
  }
  return message;
}

ModelFile parse_document(const json& document) {
  require_object(document, "");
  reject_unknown_keys(document,
                      {"format", "format_version", "kind", "features", "hyperparameters",
                       "parameters", "training", "errors"},
                      "");
  if (string_field(document, "format", "") != kModelFileFormat) {
    throw InputError("field 'format': expected \"" + std::string(kModelFileFormat) + "\", found " +
                     json_excerpt(document.at("format")) + ": not a migpower model file");
  }
  const json& version = required_field(document, "format_version", "");
  if (!version.is_number_integer() || version.get<long long>() != kModelFileVersion) {
    throw InputError("field 'format_version': this migpower reads version " +
                     std::to_string(kModelFileVersion) + ", found " + json_excerpt(version));
  }
  const std::string kind = string_field(document, "kind", "");
  const auto kinds = model_kinds();
  if (std::none_of(kinds.begin(), kinds.end(), [&](const auto& k) { return k.name == kind; })) {
    std::string names;
    for (const auto& k : kinds) names += (names.empty() ? "" : ", ") + std::string(k.name);
    throw InputError("field 'kind': unknown model kind " + json_excerpt(document.at("kind")) +
                     "; one of: " + names);
  }
  check_features(document);

  // The plain fields first: a file wrong there is refused before its parameters reach a
  // model's loader (XGBoost's among them).
  ModelFile file;
  file.training = parse_training_json(required_field(document, "training", ""));
  const json& errors = require_object(required_field(document, "errors", ""), "errors");
  reject_unknown_keys(errors, {"training", "validation"}, "errors");
  file.training_error =
      parse_error_json(required_field(errors, "training", "errors"), "errors.training");
  const json& validation = required_field(errors, "validation", "errors");
  if (!validation.is_null()) {
    file.validation_error = parse_error_json(validation, "errors.validation");
  }
  file.hyperparameters =
      require_object(required_field(document, "hyperparameters", ""), "hyperparameters");
  file.model = make_power_model(kind, file.hyperparameters);  // unknown kind: InputError
  file.model->load_parameters(required_field(document, "parameters", ""));
  // The parameters must fit the feature count, or predictions would read past the features.
  const std::vector<double> zeros(kFeatureCount, 0.0);
  try {
    const double prediction = file.model->predict(zeros);
    static_cast<void>(prediction);
  } catch (const InputError& e) {
    throw InputError(std::string("field 'parameters': ") + e.what());
  }
  return file;
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

FitError fit_error(const PowerModel& model, const FeatureMatrix& x, const Eigen::VectorXd& y) {
  FitError error;
  error.rows = static_cast<std::size_t>(x.rows());
  if (x.rows() == 0) return error;
  Eigen::VectorXd predicted;
  model.predict_all(x, predicted);
  double squares = 0.0;
  double ape = 0.0;
  std::size_t ape_rows = 0;
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    const double e = predicted[i] - y[i];
    squares += e * e;
    if (y[i] >= FitError::kMapeFloorW) {
      ape += std::abs(e) / y[i];
      ++ape_rows;
    }
  }
  error.rmse_w = std::sqrt(squares / static_cast<double>(x.rows()));
  error.mape_pct = ape_rows > 0 ? 100.0 * ape / static_cast<double>(ape_rows) : 0.0;
  return error;
}

json model_file_json(const ModelFile& file) {
  json features = json::array();
  for (const auto& name : feature_names()) features.push_back(name);
  return {{"format", kModelFileFormat},
          {"format_version", kModelFileVersion},
          {"kind", file.model->kind()},
          {"features", features},
          {"hyperparameters", file.hyperparameters},
          {"parameters", file.model->parameters()},
          {"training", training_json(file.training)},
          {"errors",
           {{"training", error_json(file.training_error)},
            {"validation",
             file.validation_error ? error_json(*file.validation_error) : json(nullptr)}}}};
}

void write_model_file(const std::string& path, const ModelFile& file) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw InputError(path + ": cannot open for writing");
  // Names from traces are not always valid UTF-8: replace bad bytes rather than fail.
  out << model_file_json(file).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  out.flush();
  if (!out) throw InputError(path + ": write failed");
}

ModelFile parse_model_file(std::string_view text, const std::string& name) {
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(name + ": not a JSON model file: " + parse_message(e));
  }
  try {
    return parse_document(document);
  } catch (const InputError& e) {
    throw InputError(name + ": " + e.what());
  }
}

ModelFile read_model_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open the model file");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw InputError(path + ": cannot read the model file");
  return parse_model_file(text.str(), path);
}

bool same_gpu_model(std::string_view a, std::string_view b) {
  const GpuModel* ma = find_gpu_model(a);
  const GpuModel* mb = find_gpu_model(b);
  if (ma != nullptr && mb != nullptr) return ma == mb;
  if (ma != nullptr || mb != nullptr) return false;
  return lower(a) == lower(b);
}

void require_gpu_model(const ModelFile& file, std::string_view gpu_model, const std::string& name,
                       bool force) {
  if (force || same_gpu_model(file.training.gpu_model, gpu_model)) return;
  throw InputError(name + ": model trained on '" + file.training.gpu_model +
                   "' cannot attribute power on '" + std::string(gpu_model) +
                   "' (another GPU model draws power differently); pass --force-model to use "
                   "it anyway");
}

}  // namespace migpower
