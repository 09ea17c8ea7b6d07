#include "model/gbt_model.hpp"

#include <xgboost/c_api.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "core/error.hpp"
#include "model/gbt_booster_check.hpp"

namespace migpower {
namespace {

using nlohmann::json;

// XGBoost reports errors as "[time] file:line: message" plus, in some builds, a stack trace;
// the message is what a user can act on.
std::string xgboost_message() {
  std::string message = XGBGetLastError();
  if (const auto trace = message.find("\nStack trace:"); trace != std::string::npos) {
    message.resize(trace);
  }
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  return message;
}

void check(int status, std::string_view action) {
  if (status != 0) {
    throw InputError("gbt: XGBoost failed " + std::string(action) + ": " + xgboost_message());
  }
}

struct DMatrixFree {
  void operator()(void* matrix) const { XGDMatrixFree(matrix); }
};
using DMatrixPtr = std::unique_ptr<void, DMatrixFree>;

// numpy's __array_interface__ (version 3), the form XGBoost's C API takes dense data in. "<f8"
// is little-endian double: XGBoost reads it directly, so our buffer is never converted or copied
// on our side (XGBoost builds its own quantized index from it, as it does for Python's arrays).
std::string array_interface(const double* data, std::size_t rows, std::size_t columns,
                            bool matrix) {
  std::array<char, 192> text{};
  const auto address = static_cast<unsigned long long>(reinterpret_cast<std::uintptr_t>(data));
  const int length = matrix
                         ? std::snprintf(text.data(), text.size(),
                                         R"({"data":[%llu,true],"shape":[%zu,%zu],"strides":null,)"
                                         R"("typestr":"<f8","version":3})",
                                         address, rows, columns)
                         : std::snprintf(text.data(), text.size(),
                                         R"({"data":[%llu,true],"shape":[%zu],"strides":null,)"
                                         R"("typestr":"<f8","version":3})",
                                         address, rows);
  return {text.data(), static_cast<std::size_t>(length)};
}

std::string shortest(double value) {
  std::array<char, 32> text{};
  auto* const end = std::to_chars(text.data(), text.data() + text.size(), value).ptr;
  return {text.data(), end};
}

// Out of the key loops so the message is built once, where it is thrown.
[[noreturn]] void throw_unknown_key(const std::string& where, const std::string& key,
                                    const std::string& known) {
  throw InputError(where + ": unknown key \"" + key + "\" (known: " + known + ")");
}

[[noreturn]] void throw_missing_key(const std::string& where, const std::string& key) {
  throw InputError(where + ": missing \"" + key + "\"");
}

// Plain prediction of every tree; NaN marks a missing feature, as in Python.
constexpr const char* kPredictConfig =
    R"({"type":0,"training":false,"iteration_begin":0,"iteration_end":0,)"
    R"("strict_shape":false,"missing":NaN,"cache_id":0})";

// Rows from which predict_all uses the training thread count: below it, waking an OpenMP team
// costs more than it saves on a frame's few rows.
constexpr std::size_t kParallelRows = 1024;

constexpr std::array<std::string_view, 14> kHyperparameterKeys = {
    "max_depth", "eta",   "num_boost_round", "tree_method",      "objective",
    "nthread",   "seed",  "subsample",       "colsample_bytree", "min_child_weight",
    "lambda",    "alpha", "gamma",           "max_bin"};

std::string known_keys() {
  std::string keys;
  for (const auto key : kHyperparameterKeys) {
    if (!keys.empty()) keys += ", ";
    keys += key;
  }
  return keys;
}

int read_int(const json& value, const std::string& name, int lowest) {
  if (!value.is_number_integer()) throw InputError(name + ": expected an integer");
  const auto number = value.get<long long>();
  if (number < lowest || number > 1'000'000'000) {
    throw InputError(name + ": " + std::to_string(number) + " is out of range (at least " +
                     std::to_string(lowest) + ")");
  }
  return static_cast<int>(number);
}

// A finite number in [lowest, highest]; `open_low` excludes `lowest` itself.
double read_double(const json& value, const std::string& name, double lowest, double highest,
                   bool open_low) {
  if (!value.is_number()) throw InputError(name + ": expected a number");
  const double number = value.get<double>();
  const bool low_ok = open_low ? number > lowest : number >= lowest;
  if (!std::isfinite(number) || !low_ok || number > highest) {
    throw InputError(name + ": " + shortest(number) + " is out of range " + (open_low ? "(" : "[") +
                     shortest(lowest) + ", " + shortest(highest) + "]");
  }
  return number;
}

std::string read_string(const json& value, const std::string& name) {
  if (!value.is_string() || value.get_ref<const std::string&>().empty()) {
    throw InputError(name + ": expected a non-empty string");
  }
  return value.get<std::string>();
}

constexpr double kUnbounded = 1e300;

}  // namespace

GbtHyperparameters GbtHyperparameters::from_json(const json& object, const std::string& where) {
  if (!object.is_object()) throw InputError(where + ": expected a JSON object");
  GbtHyperparameters h;
  for (const auto& [key, value] : object.items()) {
    const std::string name = std::string(where).append(".").append(key);
    if (key == "max_depth") {
      h.max_depth = read_int(value, name, 0);
    } else if (key == "eta") {
      h.eta = read_double(value, name, 0.0, 1.0, true);
    } else if (key == "num_boost_round") {
      h.num_boost_round = read_int(value, name, 1);
    } else if (key == "tree_method") {
      h.tree_method = read_string(value, name);
    } else if (key == "objective") {
      h.objective = read_string(value, name);
    } else if (key == "nthread") {
      h.nthread = read_int(value, name, 0);
    } else if (key == "seed") {
      h.seed = read_int(value, name, 0);
    } else if (key == "subsample") {
      h.subsample = read_double(value, name, 0.0, 1.0, true);
    } else if (key == "colsample_bytree") {
      h.colsample_bytree = read_double(value, name, 0.0, 1.0, true);
    } else if (key == "min_child_weight") {
      h.min_child_weight = read_double(value, name, 0.0, kUnbounded, false);
    } else if (key == "lambda") {
      h.lambda = read_double(value, name, 0.0, kUnbounded, false);
    } else if (key == "alpha") {
      h.alpha = read_double(value, name, 0.0, kUnbounded, false);
    } else if (key == "gamma") {
      h.gamma = read_double(value, name, 0.0, kUnbounded, false);
    } else if (key == "max_bin") {
      h.max_bin = read_int(value, name, 2);
    } else {
      throw_unknown_key(where, key, known_keys());
    }
  }
  return h;
}

json GbtHyperparameters::to_json() const {
  return {{"max_depth", max_depth},
          {"eta", eta},
          {"num_boost_round", num_boost_round},
          {"tree_method", tree_method},
          {"objective", objective},
          {"nthread", nthread},
          {"seed", seed},
          {"subsample", subsample},
          {"colsample_bytree", colsample_bytree},
          {"min_child_weight", min_child_weight},
          {"lambda", lambda},
          {"alpha", alpha},
          {"gamma", gamma},
          {"max_bin", max_bin}};
}

int GbtHyperparameters::threads() const {
  if (nthread > 0) return nthread;
  return static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
}

void GbtModel::BoosterFree::operator()(void* booster) const { XGBoosterFree(booster); }

struct GbtModel::InplacePredictor {
  DMatrixPtr proxy;
  std::mutex turn;  // the proxy holds the rows of one call at a time
};

GbtModel::GbtModel() = default;
GbtModel::GbtModel(GbtHyperparameters hyperparameters)
    : hyperparameters_(std::move(hyperparameters)) {}
GbtModel::GbtModel(const json& hyperparameters)
    : hyperparameters_(GbtHyperparameters::from_json(hyperparameters)) {}
GbtModel::~GbtModel() = default;
GbtModel::GbtModel(GbtModel&&) noexcept = default;
GbtModel& GbtModel::operator=(GbtModel&&) noexcept = default;

void GbtModel::fit(const FeatureMatrix& x, const Eigen::VectorXd& y) {
  if (x.rows() == 0 || x.cols() == 0) throw InputError("gbt: no training data (0 rows or columns)");
  if (y.size() != x.rows()) {
    throw InputError("gbt: " + std::to_string(x.rows()) + " feature rows but " +
                     std::to_string(y.size()) + " targets");
  }
  if (!y.allFinite()) throw InputError("gbt: a training target is not a finite number");
  const auto rows = static_cast<std::size_t>(x.rows());
  const auto columns = static_cast<std::size_t>(x.cols());
  const int threads = hyperparameters_.threads();

  DMatrixHandle matrix_handle = nullptr;
  const std::string matrix_config = R"({"missing":NaN,"nthread":)" + std::to_string(threads) + "}";
  check(XGDMatrixCreateFromDense(array_interface(x.data(), rows, columns, true).c_str(),
                                 matrix_config.c_str(), &matrix_handle),
        "reading the training matrix");
  const DMatrixPtr train(matrix_handle);
  check(XGDMatrixSetInfoFromInterface(train.get(), "label",
                                      array_interface(y.data(), rows, 1, false).c_str()),
        "reading the training targets");

  // The training matrix goes into the booster's prediction cache, so each round updates the
  // cached predictions instead of running every tree again.
  std::array<DMatrixHandle, 1> cache = {train.get()};
  BoosterHandle booster_handle = nullptr;
  check(XGBoosterCreate(cache.data(), cache.size(), &booster_handle), "creating a booster");
  std::unique_ptr<void, BoosterFree> booster(booster_handle);

  const GbtHyperparameters& h = hyperparameters_;
  // base_score = the mean target: trees then spend no rounds climbing from XGBoost's default
  // 0.5 up to a card's hundreds of watts.
  std::vector<std::pair<std::string, std::string>> parameters = {
      {"max_depth", std::to_string(h.max_depth)},
      {"eta", shortest(h.eta)},
      {"tree_method", h.tree_method},
      {"objective", h.objective},
      {"nthread", std::to_string(threads)},
      {"seed", std::to_string(h.seed)},
      {"subsample", shortest(h.subsample)},
      {"colsample_bytree", shortest(h.colsample_bytree)},
      {"min_child_weight", shortest(h.min_child_weight)},
      {"lambda", shortest(h.lambda)},
      {"alpha", shortest(h.alpha)},
      {"gamma", shortest(h.gamma)},
      {"max_bin", std::to_string(h.max_bin)},
      {"base_score", shortest(y.mean())},
      {"validate_parameters", "1"},
  };
  for (const auto& [name, value] : parameters) {
    check(XGBoosterSetParam(booster.get(), name.c_str(), value.c_str()), "setting " + name);
  }
  for (int round = 0; round < h.num_boost_round; ++round) {
    check(XGBoosterUpdateOneIter(booster.get(), round, train.get()), "training");
  }
  booster_ = std::move(booster);
  booster_parameters_ = std::move(parameters);
  feature_count_ = columns;
  prepare_prediction();
}

// Two costs dwarf walking the trees for a frame's few rows, so both are paid once here: an
// OpenMP team per call (microseconds idle, milliseconds when the cores are busy), and the proxy
// matrix XGBoost would otherwise build per call, whose construction reads the cgroup CPU quota
// from /sys (two file reads; 80 µs per call measured here).
void GbtModel::prepare_prediction() {
  check(XGBoosterSetParam(booster_.get(), "nthread", "1"), "setting nthread");
  DMatrixHandle proxy = nullptr;
  check(XGProxyDMatrixCreate(&proxy), "creating a prediction proxy");
  predictor_ = std::make_unique<InplacePredictor>();
  predictor_->proxy.reset(proxy);
}

void GbtModel::require_fitted() const {
  if (!booster_) throw std::logic_error("gbt: model used before fit or load_parameters");
}

void GbtModel::predict_rows(const double* data, std::size_t rows, double* out) const {
  require_fitted();
  bst_ulong const* shape = nullptr;
  bst_ulong dimensions = 0;
  const float* result = nullptr;
  const std::string rows_interface = array_interface(data, rows, feature_count_, true);
  const std::lock_guard<std::mutex> turn(predictor_->turn);
  // A large batch (a training set's error) is worth an OpenMP team; the booster goes back to one
  // thread afterwards, whatever happens.
  const int threads = rows >= kParallelRows ? hyperparameters_.threads() : 1;
  const auto set_threads = [&](int count) {
    check(XGBoosterSetParam(booster_.get(), "nthread", std::to_string(count).c_str()),
          "setting nthread");
  };
  struct OneThreadAfterwards {
    void* booster;
    ~OneThreadAfterwards() { XGBoosterSetParam(booster, "nthread", "1"); }
  };
  std::optional<OneThreadAfterwards> restore;
  if (threads > 1) {
    set_threads(threads);
    restore.emplace(OneThreadAfterwards{booster_.get()});
  }
  check(XGBoosterPredictFromDense(booster_.get(), rows_interface.c_str(), kPredictConfig,
                                  predictor_->proxy.get(), &shape, &dimensions, &result),
        "predicting");
  std::copy(result, result + rows, out);
}

double GbtModel::predict(std::span<const double> features) const {
  require_fitted();
  if (features.size() != feature_count_) {
    throw InputError("gbt: model fitted on " + std::to_string(feature_count_) +
                     " features is given " + std::to_string(features.size()));
  }
  double prediction = 0.0;
  predict_rows(features.data(), 1, &prediction);
  return prediction;
}

void GbtModel::predict_all(const FeatureMatrix& x, Eigen::VectorXd& out) const {
  require_fitted();
  if (static_cast<std::size_t>(x.cols()) != feature_count_) {
    throw InputError("gbt: model fitted on " + std::to_string(feature_count_) +
                     " features is given " + std::to_string(x.cols()));
  }
  out.resize(x.rows());
  if (x.rows() == 0) return;
  predict_rows(x.data(), static_cast<std::size_t>(x.rows()), out.data());
}

json GbtModel::parameters() const {
  require_fitted();
  bst_ulong length = 0;
  const char* buffer = nullptr;
  const std::lock_guard<std::mutex> turn(predictor_->turn);
  check(XGBoosterSaveModelToBuffer(booster_.get(), R"({"format":"json"})", &length, &buffer),
        "saving the model");
  return {{"hyperparameters", hyperparameters_.to_json()},
          {"feature_count", feature_count_},
          {"booster", json::parse(buffer, buffer + length)}};
}

void GbtModel::load_parameters(const json& parameters) {
  const std::string where = "gbt parameters";
  if (!parameters.is_object()) throw InputError(where + ": expected a JSON object");
  for (const auto& [key, value] : parameters.items()) {
    if (key != "hyperparameters" && key != "feature_count" && key != "booster") {
      throw_unknown_key(where, key, "hyperparameters, feature_count, booster");
    }
  }
  for (const char* key : {"hyperparameters", "feature_count", "booster"}) {
    if (!parameters.contains(key)) throw_missing_key(where, key);
  }
  GbtHyperparameters hyperparameters =
      GbtHyperparameters::from_json(parameters.at("hyperparameters"), where + ".hyperparameters");
  const auto feature_count = static_cast<std::size_t>(
      read_int(parameters.at("feature_count"), where + ".feature_count", 1));
  const json& booster_json = parameters.at("booster");
  if (!booster_json.is_object()) throw InputError(where + ".booster: expected a JSON object");
  check_booster_json(booster_json, feature_count, where + ".booster");

  BoosterHandle booster_handle = nullptr;
  check(XGBoosterCreate(nullptr, 0, &booster_handle), "creating a booster");
  std::unique_ptr<void, BoosterFree> booster(booster_handle);
  const std::string text = booster_json.dump();
  check(XGBoosterLoadModelFromBuffer(booster.get(), text.data(), text.size()),
        "loading " + where + ".booster");
  bst_ulong booster_features = 0;
  check(XGBoosterGetNumFeature(booster.get(), &booster_features), "reading the feature count");
  if (booster_features != feature_count) {
    throw InputError(where + ".feature_count: " + std::to_string(feature_count) +
                     ", but the booster was trained on " + std::to_string(booster_features) +
                     " features");
  }
  hyperparameters_ = std::move(hyperparameters);
  booster_ = std::move(booster);
  booster_parameters_.clear();
  feature_count_ = feature_count;
  prepare_prediction();
}

}  // namespace migpower
