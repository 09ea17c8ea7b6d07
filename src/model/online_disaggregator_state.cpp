// Saving and restoring what an OnlineDisaggregator has learnt, so that an agent restarted with
// `serve --state` needs no warm-up. Everything but the current frame is kept: the coefficients,
// their covariance, the prior they are anchored to, the noise and change-detection state.

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/json_fields.hpp"
#include "model/online_disaggregator.hpp"

namespace migpower {
namespace {

std::vector<double> to_vector(const OnlineDisaggregator::Vector& v) {
  return {v.data(), v.data() + v.size()};
}

}  // namespace

nlohmann::json OnlineDisaggregator::save() const {
  std::vector<double> covariance(p_.data(), p_.data() + p_.size());  // column-major
  return {{"theta", to_vector(theta_)},
          {"covariance", covariance},
          {"prior_mean", to_vector(prior_mean_)},
          {"prior_variance", to_vector(prior_variance_)},
          {"next_anchor", static_cast<std::size_t>(next_anchor_)},
          {"noise_variance", noise_variance_},
          {"noise_floor_variance", noise_floor_variance_},
          {"surprise", surprise_},
          {"frames_learnt", frames_learnt_},
          {"sensor_lag", save_lag()}};
}

nlohmann::json OnlineDisaggregator::save_lag() const {
  nlohmann::json lagged = nlohmann::json::array();
  for (const Vector& h : lagged_h_) lagged.push_back(to_vector(h));
  return {{"lagged_features", lagged},
          {"mean_square_error", std::vector<double>(lag_mse_.begin(), lag_mse_.end())},
          {"choice", lag_choice_},
          {"started", lag_started_}};
}

void OnlineDisaggregator::restore(const nlohmann::json& state, const std::string& where) {
  require_object(state, where);
  reject_unknown_keys(
      state,
      {"theta", "covariance", "prior_mean", "prior_variance", "next_anchor", "noise_variance",
       "noise_floor_variance", "surprise", "frames_learnt", "sensor_lag"},
      where);
  const auto vector = [&](std::string_view key) {
    const std::vector<double> values = number_array_field(state, key, where, kParameters);
    return Vector(Vector::Map(values.data()));
  };
  const Vector theta = vector("theta");
  const Vector prior_mean = vector("prior_mean");
  const Vector prior_variance = vector("prior_variance");
  const std::vector<double> covariance =
      number_array_field(state, "covariance", where, kParameters * kParameters);
  const std::size_t next_anchor = count_field(state, "next_anchor", where);
  if (next_anchor >= kParameters) {
    throw InputError(where + ".next_anchor: expected an index below " +
                     std::to_string(kParameters) + ", found " + std::to_string(next_anchor));
  }
  const double noise = finite_number_field(state, "noise_variance", where);
  const double noise_floor = finite_number_field(state, "noise_floor_variance", where);
  const double surprise = finite_number_field(state, "surprise", where);
  if (noise <= 0.0 || noise_floor <= 0.0 || surprise < 0.0 || prior_variance.minCoeff() <= 0.0) {
    throw InputError(where + ": variances must be positive and surprise not negative");
  }
  const std::size_t frames_learnt = count_field(state, "frames_learnt", where);
  // The sensor-lag state came later: a state without it starts the lag afresh.
  std::array<Vector, OnlineSettings::kLagCandidates> lagged_h;
  for (Vector& h : lagged_h) h.setZero();
  std::array<double, OnlineSettings::kLagCandidates> lag_mse{};
  std::size_t lag_choice = 0;
  bool lag_started = false;
  if (state.contains("sensor_lag")) {
    const std::string lag_where = where + ".sensor_lag";
    const nlohmann::json& lag = state.at("sensor_lag");
    require_object(lag, lag_where);
    reject_unknown_keys(lag, {"lagged_features", "mean_square_error", "choice", "started"},
                        lag_where);
    const nlohmann::json& lagged = required_field(lag, "lagged_features", lag_where);
    if (!lagged.is_array() || lagged.size() != lagged_h.size()) {
      throw InputError(lag_where + ".lagged_features: expected " + std::to_string(lagged_h.size()) +
                       " feature vectors");
    }
    for (std::size_t j = 0; j < lagged_h.size(); ++j) {
      nlohmann::json holder = {{"v", lagged[j]}};
      const std::vector<double> values = number_array_field(
          holder, "v", lag_where + ".lagged_features[" + std::to_string(j) + "]", kParameters);
      lagged_h[j] = Vector::Map(values.data());
    }
    const std::vector<double> mse =
        number_array_field(lag, "mean_square_error", lag_where, lag_mse.size());
    std::copy(mse.begin(), mse.end(), lag_mse.begin());
    lag_choice = count_field(lag, "choice", lag_where);
    if (lag_choice >= lag_mse.size()) {
      throw InputError(lag_where + ".choice: expected an index below " +
                       std::to_string(lag_mse.size()));
    }
    const nlohmann::json& started = required_field(lag, "started", lag_where);
    if (!started.is_boolean()) throw InputError(lag_where + ".started: expected true or false");
    lag_started = started.get<bool>();
  }
  theta_ = theta;
  p_ = Matrix::Map(covariance.data());
  prior_mean_ = prior_mean;
  prior_variance_ = prior_variance;
  next_anchor_ = static_cast<Eigen::Index>(next_anchor);
  noise_variance_ = noise;
  noise_floor_variance_ = noise_floor;
  surprise_ = surprise;
  frames_learnt_ = frames_learnt;
  lagged_h_ = lagged_h;
  lag_mse_ = lag_mse;
  lag_choice_ = lag_choice;
  lag_started_ = lag_started;
}

}  // namespace migpower
