#pragma once

#include <Eigen/Core>
#include <array>
#include <cmath>
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "model/features.hpp"

namespace migpower {

// Where the online model starts for one card, before it has seen any data (docs/online-model.md).
// Built from the catalog: nothing in it is fitted to any trace.
struct OnlinePrior {
  double idle_w = 0.0;  // the card's typical idle power
  double tdp_w = 0.0;   // its default power limit; tdp_w - idle_w scales the dynamic prior

  // The catalog's figures for a known model; otherwise the frame's power limit (or, without
  // one, 2.5 x the first reading) as TDP and 15 % of it as idle, a typical ratio for data-centre
  // GPUs (the catalog has A100 55/400 W, H100 70/700 W).
  [[nodiscard]] static OnlinePrior for_card(const GpuModel* model,
                                            std::optional<double> power_limit_w,
                                            double first_measured_w);
};

// The model's constants: the same for every card and scenario, chosen on simulator seeds 1-2
// (docs/online-model.md says why each has its value and what was tried).
struct OnlineSettings {
  // Forgetting time constant: what was learnt memory_s ago weighs 1/e, so the model follows
  // slow drifts and the mix of workloads it currently sees.
  double memory_s = 1800.0;
  // The same for the static coefficients: the idle floor changes more slowly than workloads.
  double static_memory_s = 4.0 * 3600.0;
  // Prior standard deviations, as fractions of idle_w (each static coefficient) and of
  // tdp_w - idle_w (each dynamic coefficient): broad, so data dominate within minutes.
  double static_prior_sd = 0.3;
  double dynamic_prior_sd = 0.2;
  // Measurement noise (sensor + what the features cannot explain), as fractions of tdp_w: its
  // starting value and the floor of its running estimate over noise_memory_s.
  double noise_initial_sd = 0.01;
  double noise_floor_sd = 0.0025;
  double noise_memory_s = 300.0;
  // Innovations beyond this many predicted standard deviations are clipped (a Huber step), so
  // one glitch cannot throw the coefficients far.
  double innovation_clip_sd = 4.0;
  // A frame whose predicted dynamic power is shared by n instances (n = (Σe)²/Σe², 1 when one
  // instance draws it all) counts with its noise inflated n^sharing_exponent times: it says less
  // about any single instance than a frame where one instance runs alone.
  double sharing_exponent = 1.0;
  // Change detection: when the innovations, normalised by their predicted spread, stay large
  // (their mean square over change_window_s above 1), the dynamic coefficients are forgotten
  // that many times faster (at most change_speedup), so a changed power function is relearnt
  // in minutes rather than in memory_s.
  double change_window_s = 30.0;
  double change_speedup = 30.0;
  // Sensor lag: the card's reading may average power over a window of its own (a first-order
  // lag with time constant τ) rather than over the frame. The model learns from features passed
  // through the same lag, for the candidate τ whose one-step predictions of the reading have had
  // the smallest mean square error over lag_memory_s (0 in the list: no lag). Per-instance
  // estimates always use the frame's own features: they are the frame's power.
  static constexpr std::size_t kLagCandidates = 8;
  std::array<double, kLagCandidates> lag_candidates_s = {0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0};
  double lag_memory_s = 600.0;
  // A lagged candidate is chosen over none only when its mean square error is below this
  // fraction of no lag's.
  double lag_evidence = 0.6;
  bool learn_sensor_lag = true;
  // Calibration of the shares' standard deviations (chosen on physics draws 1-20, see
  // docs/online-model.md): the first-order variance, in which the unexplained variance counts
  // sd_noise_scale² times (what the features miss is shared out less evenly than sensor noise),
  // times sd_scale²; plus the power a lagging sensor has not shown yet (the lagged prediction
  // minus the frame's own) times sd_lag, passed on by each instance's weight.
  // Learn from the card's energy counter where it has one (its mean power over the frame, which
  // is what the instances' activity describes), not from the power reading; shares are still
  // reconciled to the reading, and the reading's gap to the counter widens their sd.
  bool learn_from_energy_counter = true;
  double sd_scale = 0.4;
  double sd_noise_scale = 2.0;
  double sd_lag = 1.5;
};

// A disaggregating power model for one card, learnt from its aggregate power alone:
//
//   P_card = θ_sᵀ ψ(card) + Σ_i θᵀ φ_i + noise
//
// ψ: the card's static features (1, t, t², r), φ_i: instance i's features (model/features.hpp,
// already scaled by its share of the card). θ is shared by every instance of the card (one
// silicon), so the aggregate is a linear regression on h = [ψ, Σ_i φ_i] and [θ_s, θ] is
// estimated by a Kalman filter (recursive least squares with exponential forgetting), its
// covariance bounded by the prior's so that an idle card cannot wind it up.
//
// Per frame: begin_frame (features, time step) -> static_w / dynamic_w (predictions from what
// was learnt before this frame) -> share_sd (uncertainty of the reconciled shares) -> learn
// (the frame's measured power). No heap allocation once the largest frame has been seen.
class OnlineDisaggregator {
 public:
  static constexpr std::size_t kStatic = kStaticFeatureCount;
  static constexpr std::size_t kDynamic = kFeatureCount;
  static constexpr std::size_t kParameters = kStatic + kDynamic;  // [θ_s, θ]
  using Vector = Eigen::Matrix<double, kParameters, 1>;
  using Matrix = Eigen::Matrix<double, kParameters, kParameters>;

  explicit OnlineDisaggregator(const OnlinePrior& prior, const OnlineSettings& settings = {});

  // Starts a frame: the card's static features, one feature vector per instance, and the seconds
  // since the last frame learnt from (0 for the first), over which the model forgets.
  void begin_frame(const StaticFeatureVector& psi, std::span<const FeatureVector> phi, double dt_s);

  // The frame's static power θ_sᵀψ (not clamped: the caller clamps it to [0, measured]).
  [[nodiscard]] double static_w() const;
  // Instance i's dynamic power max(θᵀφ_i, 0), and its standard deviation sqrt(φ_iᵀ P_θ φ_i)
  // from the coefficients' uncertainty alone.
  [[nodiscard]] double dynamic_w(std::size_t i) const { return dynamic_[i]; }
  [[nodiscard]] double dynamic_sd_w(std::size_t i) const;
  // How far the card's signal has pinned instance i's dynamic power down: 1 - (its variance
  // now) / (its variance under the prior), in [0, 1]. Near 0: the estimate still rests on the
  // prior (activity that never changes on a card that never idles, instances collinear with
  // each other) and its share should not be trusted for its split; 1 for an idle instance.
  // A diagnostic, not computed per frame (one 22 x 22 quadratic form per call).
  [[nodiscard]] double identifiability(std::size_t i) const;

  // Standard deviation of each instance's reconciled share
  //   share_i = static_fraction[i] * S + dynamic_fraction[i] * (measured - S)
  // to first order: the coefficients' uncertainty through both terms (with their correlations)
  // plus the unexplained variance split in proportion to dynamic_fraction. static_is_measured:
  // the static estimate reached the measured power, so every share is static. Spans have one
  // entry per instance of the frame.
  void share_sd(std::span<const double> static_fraction, std::span<const double> dynamic_fraction,
                bool static_is_measured, std::span<double> out) const;

  // Learns from the frame's measured card power (one Kalman measurement update). A non-finite
  // reading is ignored.
  void learn(double measured_w);

  // How far the frame's power reading is from the card's true mean power over the frame, where
  // something better than the reading tells (the energy counter): share_sd passes it to each
  // share by its weight. 0 (the default, reset by begin_frame) when unknown.
  void set_reading_gap(double gap_w) { reading_gap_w_ = std::isfinite(gap_w) ? gap_w : 0.0; }

  [[nodiscard]] const Vector& coefficients() const { return theta_; }
  // The coefficients' covariance (W²) and the prior's variances, which bound its diagonal.
  [[nodiscard]] const Matrix& covariance() const { return p_; }
  [[nodiscard]] const Vector& prior_variance() const { return prior_variance_; }
  [[nodiscard]] double noise_sd_w() const;
  // How many times faster than memory_s the dynamic coefficients are forgotten now (1 while
  // the model fits the card).
  [[nodiscard]] double forgetting_speedup() const;
  [[nodiscard]] std::size_t frames_learnt() const { return frames_learnt_; }
  // The sensor lag (time constant, s) the model currently learns with.
  [[nodiscard]] double sensor_lag_s() const { return settings_.lag_candidates_s[lag_choice_]; }

  // What was learnt (everything but the current frame), for a warm restart; and taking it back.
  // restore() throws InputError naming the field under `where` that does not fit, and then
  // changes nothing. (model/online_disaggregator_state.cpp)
  [[nodiscard]] nlohmann::json save() const;
  void restore(const nlohmann::json& state, const std::string& where);

 private:
  [[nodiscard]] nlohmann::json save_lag() const;
  void forget(double static_keep, double dynamic_keep);
  void anchor(double keep);

  OnlineSettings settings_;
  Vector theta_;
  Matrix p_;
  Vector prior_mean_;
  Vector prior_variance_;  // P0's diagonal
  Eigen::Index next_anchor_ = 0;
  double noise_variance_;
  double noise_floor_variance_;
  double surprise_ = 1.0;  // running mean of squared normalised innovations
  std::size_t frames_learnt_ = 0;
  // Sensor lag: per candidate, the features through its lag and its one-step mean square error.
  std::array<Vector, OnlineSettings::kLagCandidates> lagged_h_;
  std::array<double, OnlineSettings::kLagCandidates> lag_mse_{};
  std::size_t lag_choice_ = 0;
  bool lag_started_ = false;

  // The current frame.
  double reading_gap_w_ = 0.0;
  Vector h_;  // [ψ, Σ_i φ_i]
  double dt_s_ = 0.0;
  std::vector<FeatureVector> phi_;
  std::vector<double> dynamic_;  // max(θᵀφ_i, 0)
};

}  // namespace migpower
