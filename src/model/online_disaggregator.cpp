#include "model/online_disaggregator.hpp"

#include <algorithm>
#include <cmath>

namespace migpower {
namespace {

constexpr std::size_t kStatic = OnlineDisaggregator::kStatic;
constexpr std::size_t kDynamic = OnlineDisaggregator::kDynamic;
// The same as Eigen indices.
constexpr auto kStaticIndex = static_cast<Eigen::Index>(kStatic);
constexpr auto kParameterIndex = static_cast<Eigen::Index>(OnlineDisaggregator::kParameters);

// Column of a compute term's r (first block) or r³ (second block) feature.
constexpr Eigen::Index compute_column(ComputeTerm term, bool cubed) {
  return static_cast<Eigen::Index>(kStatic + static_cast<std::size_t>(term) +
                                   (cubed ? kComputeTermCount : 0));
}
constexpr auto kDramColumn = static_cast<Eigen::Index>(kStatic + 2 * kComputeTermCount);

using DynamicVector = Eigen::Matrix<double, kDynamic, 1>;

}  // namespace

OnlinePrior OnlinePrior::for_card(const GpuModel* model, std::optional<double> power_limit_w,
                                  double first_measured_w) {
  OnlinePrior prior;
  if (model != nullptr && model->tdp_w > model->idle_w && model->idle_w > 0.0) {
    prior.idle_w = model->idle_w;
    prior.tdp_w = model->tdp_w;
    return prior;
  }
  double tdp = 0.0;
  if (power_limit_w && std::isfinite(*power_limit_w) && *power_limit_w > 0.0) tdp = *power_limit_w;
  if (tdp <= 0.0 && std::isfinite(first_measured_w) && first_measured_w > 0.0) {
    tdp = 2.5 * first_measured_w;
  }
  if (tdp <= 0.0) tdp = 300.0;  // nothing known at all: a mid-range data-centre card
  prior.tdp_w = tdp;
  prior.idle_w = 0.15 * tdp;
  return prior;
}

OnlineDisaggregator::OnlineDisaggregator(const OnlinePrior& prior, const OnlineSettings& settings)
    : settings_(settings) {
  const double idle = prior.idle_w;
  const double range = std::max(prior.tdp_w - prior.idle_w, 0.0);

  // Prior mean: static power is the catalog's idle power at every temperature and clock; a
  // full card's dynamic power is the range (TDP - idle), three quarters following SM activity
  // (half on each clock term) and a quarter DRAM activity. Everything else starts at 0.
  theta_.setZero();
  theta_[0] = idle;
  theta_[compute_column(ComputeTerm::sm, false)] = 0.375 * range;
  theta_[compute_column(ComputeTerm::sm, true)] = 0.375 * range;
  theta_[kDramColumn] = 0.25 * range;
  prior_mean_ = theta_;

  const double static_sd = settings_.static_prior_sd * idle;
  const double dynamic_sd = settings_.dynamic_prior_sd * range;
  prior_variance_.head<kStatic>().setConstant(std::max(static_sd * static_sd, 1e-12));
  prior_variance_.tail<kDynamic>().setConstant(std::max(dynamic_sd * dynamic_sd, 1e-12));
  p_ = prior_variance_.asDiagonal();

  const double initial_sd = settings_.noise_initial_sd * prior.tdp_w;
  const double floor_sd = settings_.noise_floor_sd * prior.tdp_w;
  noise_floor_variance_ = std::max(floor_sd * floor_sd, 1e-12);
  noise_variance_ = std::max(initial_sd * initial_sd, noise_floor_variance_);
  h_.setZero();
  for (auto& lagged : lagged_h_) lagged.setZero();
}

void OnlineDisaggregator::begin_frame(const StaticFeatureVector& psi,
                                      std::span<const FeatureVector> phi, double dt_s) {
  phi_.assign(phi.begin(), phi.end());
  h_.setZero();
  h_.head<kStatic>() = Eigen::Matrix<double, kStatic, 1>::Map(psi.data());
  for (const auto& features : phi_) h_.tail<kDynamic>() += DynamicVector::Map(features.data());
  dt_s_ = std::isfinite(dt_s) ? std::max(dt_s, 0.0) : 0.0;
  reading_gap_w_ = 0.0;
  // Each lag candidate's view of the features: a first-order lag over dt (the reading at the
  // frame's end of a sensor with time constant τ, power constant over the frame).
  for (std::size_t j = 0; j < lagged_h_.size(); ++j) {
    const double tau = settings_.lag_candidates_s[j];
    if (!lag_started_ || !(tau > 0.0) || !(dt_s_ > 0.0)) {
      lagged_h_[j] = h_;
    } else {
      const double keep = std::exp(-dt_s_ / tau);
      lagged_h_[j] = keep * lagged_h_[j] + (1.0 - keep) * h_;
    }
  }
  lag_started_ = true;
  if (dt_s_ > 0.0) {
    const double static_keep = std::exp(-dt_s_ / settings_.static_memory_s);
    const double dynamic_keep = std::exp(-dt_s_ * forgetting_speedup() / settings_.memory_s);
    forget(static_keep, dynamic_keep);
    anchor(next_anchor_ < kStaticIndex ? static_keep : dynamic_keep);
  }
  dynamic_.resize(phi_.size());
  const auto theta = theta_.tail<kDynamic>();
  for (std::size_t i = 0; i < phi_.size(); ++i) {
    dynamic_[i] = std::max(DynamicVector::Map(phi_[i].data()).dot(theta), 0.0);
  }
}

double OnlineDisaggregator::forgetting_speedup() const {
  return std::clamp(surprise_, 1.0, std::max(settings_.change_speedup, 1.0));
}

void OnlineDisaggregator::forget(double static_keep, double dynamic_keep) {
  // Exponential forgetting: what was learnt dt ago weighs a = exp(-dt / memory), so the
  // covariance grows by 1 / a: P <- D P D with D = diag(a^-1/2), a per block (a change detected
  // in the workloads speeds up the dynamic block only: it must not pass for a change of the
  // idle floor). In directions the data do not excite (an idle card, features that never vary)
  // that growth would wind up without end, so each variance is capped at the prior's by scaling
  // its row and column (D P D with D <= 1 stays positive semi-definite, and
  // |P_jk| <= sqrt(P_jj P_kk) then bounds every direction).
  const double s = 1.0 / std::sqrt(std::max(static_keep, 1e-12));   // a gap of days: all but
  const double d = 1.0 / std::sqrt(std::max(dynamic_keep, 1e-12));  // the prior is forgotten
  p_.topLeftCorner<kStatic, kStatic>() *= s * s;
  p_.topRightCorner<kStatic, kDynamic>() *= s * d;
  p_.bottomLeftCorner<kDynamic, kStatic>() *= s * d;
  p_.bottomRightCorner<kDynamic, kDynamic>() *= d * d;
  for (Eigen::Index k = 0; k < kParameterIndex; ++k) {
    if (p_(k, k) > prior_variance_[k]) {
      const double scale = std::sqrt(prior_variance_[k] / p_(k, k));
      p_.row(k) *= scale;
      p_.col(k) *= scale;
    }
  }
}

void OnlineDisaggregator::anchor(double keep) {
  // Forgetting discounts the data but must not let the coefficients wander where the data say
  // nothing (features that never vary apart, like r and r³ on a card that never throttles):
  // rounding and large innovations would drive them along such directions unchecked. So the
  // prior is kept as a steady pseudo-observation, θ_j = prior mean with variance
  // P0_jj / ((1 - keep) K), one coefficient per frame in turn (K of them): over time the prior
  // weighs as much as it did at the start, the data's weight is discounted, and every direction
  // the data do not excite relaxes back to the prior (stabilised forgetting).
  const Eigen::Index j = next_anchor_;
  next_anchor_ = (next_anchor_ + 1) % kParameterIndex;
  const double forgotten = 1.0 - keep;
  if (!(forgotten > 0.0)) return;
  const double r = prior_variance_[j] / (forgotten * static_cast<double>(kParameterIndex));
  const double s = p_(j, j) + r;
  const Vector pj = p_.col(j);
  theta_.noalias() += pj * ((prior_mean_[j] - theta_[j]) / s);
  p_.noalias() -= (pj / s) * pj.transpose();
}

double OnlineDisaggregator::static_w() const {
  return h_.head<kStatic>().dot(theta_.head<kStatic>());
}

double OnlineDisaggregator::dynamic_sd_w(std::size_t i) const {
  const auto phi = DynamicVector::Map(phi_[i].data());
  const double variance = phi.dot(p_.bottomRightCorner<kDynamic, kDynamic>() * phi);
  return std::sqrt(std::max(variance, 0.0));
}

double OnlineDisaggregator::identifiability(std::size_t i) const {
  const auto phi = DynamicVector::Map(phi_[i].data());
  const double prior = phi.dot(prior_variance_.tail<kDynamic>().cwiseProduct(phi));
  if (!(prior > 0.0)) return 1.0;  // idle: no dynamic power to split
  const double now = phi.dot(p_.bottomRightCorner<kDynamic, kDynamic>() * phi);
  return std::clamp(1.0 - now / prior, 0.0, 1.0);
}

void OnlineDisaggregator::share_sd(std::span<const double> static_fraction,
                                   std::span<const double> dynamic_fraction,
                                   bool static_is_measured, std::span<double> out) const {
  // Share i's error, to first order, is a_iᵀ δ + (noise) with δ the coefficients' error. With
  // v = [ψ, 0], g = [0, Σ_j φ_j], u_i = [0, φ_i] and f_i, w_i instance i's static and dynamic
  // fractions:
  //  - normally a_i = u_i + (f_i - w_i) v - w_i g: a static error moves power between its static
  //    share and everyone's dynamic pool, and reconciliation passes a fraction w_i of every
  //    instance's error (and of the noise) on to instance i;
  //  - when the static estimate reached the measured power (all of it is billed as static),
  //    share_i = f_i P, so a_i = f_i g - u_i, plus the dynamic power that is misbilled
  //    (f_i Σ_j e_j - e_i) and the noise times f_i.
  // Expanded so that only u_iᵀ P u_i costs a product per instance.
  const auto psi = h_.head<kStatic>();
  const auto phi_sum = h_.tail<kDynamic>();
  const Vector pv = p_.leftCols<kStatic>() * psi;
  const Vector pg = p_.rightCols<kDynamic>() * phi_sum;
  const double vpv = psi.dot(pv.head<kStatic>());
  const double gpg = phi_sum.dot(pg.tail<kDynamic>());
  const double vpg = psi.dot(pg.head<kStatic>());
  double dynamic_sum = 0.0;
  for (const double e : dynamic_) dynamic_sum += e;
  const auto p_dynamic = p_.bottomRightCorner<kDynamic, kDynamic>();
  // A lagging sensor reads what the card drew over the last few frames, not this one: the
  // difference, as the model predicts it, goes to the shares in proportion to their weights.
  const double lag_gap_w =
      reading_gap_w_ +
      (settings_.learn_sensor_lag ? (lagged_h_[lag_choice_] - h_).dot(theta_) : 0.0);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double f = static_fraction[i];
    const double w = dynamic_fraction[i];
    const double cu = static_is_measured ? -1.0 : 1.0;
    const double cv = static_is_measured ? 0.0 : f - w;
    const double cg = static_is_measured ? f : -w;
    double variance = cv * cv * vpv + cg * cg * gpg + 2.0 * cv * cg * vpg;
    const auto phi = DynamicVector::Map(phi_[i].data());
    if (!phi.isZero(0.0)) {
      variance +=
          phi.dot(p_dynamic * phi) +
          2.0 * cu * (cv * phi.dot(pv.tail<kDynamic>()) + cg * phi.dot(pg.tail<kDynamic>()));
    }
    if (static_is_measured) {
      const double misbilled = f * dynamic_sum - dynamic_[i];
      variance += misbilled * misbilled + f * f * noise_variance_;
    } else {
      // What the model does not explain (sensor noise and misfit), split by dynamic share.
      variance += settings_.sd_noise_scale * settings_.sd_noise_scale * w * noise_variance_;
    }
    const double lag = settings_.sd_lag * (static_is_measured ? f : w) * lag_gap_w;
    variance = settings_.sd_scale * settings_.sd_scale * variance + lag * lag;
    out[i] = std::sqrt(std::max(variance, 0.0));
  }
}

void OnlineDisaggregator::learn(double measured_w) {
  if (!std::isfinite(measured_w)) return;
  if (settings_.learn_sensor_lag && dt_s_ > 0.0) {
    // Score every lag candidate by its one-step prediction of this reading (before learning
    // from it), and learn with the best so far.
    const double gamma = 1.0 - std::exp(-dt_s_ / settings_.lag_memory_s);
    for (std::size_t j = 0; j < lagged_h_.size(); ++j) {
      const double error = measured_w - lagged_h_[j].dot(theta_);
      lag_mse_[j] = (1.0 - gamma) * lag_mse_[j] + gamma * error * error;
    }
    // A lag must earn its place: the frame-mean reading (no lag) is kept unless a lagged view
    // predicts clearly better (features at the frame's end, such as the clock, can make a
    // little lag look better on a card whose sensor has none).
    const auto best = static_cast<std::size_t>(
        std::min_element(lag_mse_.begin() + 1, lag_mse_.end()) - lag_mse_.begin());
    lag_choice_ = lag_mse_[best] < settings_.lag_evidence * lag_mse_[0] ? best : 0;
  }
  const Vector& h = settings_.learn_sensor_lag ? lagged_h_[lag_choice_] : h_;
  const Vector ph = p_ * h;
  const double spread = std::max(h.dot(ph), 0.0);  // hᵀPh: the prediction's variance
  // A frame whose dynamic power one instance dominates says the most about each instance: the
  // noise of a frame is inflated n^k times, n = (Σ e_i)² / Σ e_i² the number of instances its
  // predicted dynamic power is effectively shared by (1 for one busy instance, m for m equal
  // ones).
  double sum = 0.0;
  double sum_squares = 0.0;
  for (const double e : dynamic_) {
    sum += e;
    sum_squares += e * e;
  }
  const double sharing = sum_squares > 0.0 ? sum * sum / sum_squares : 1.0;
  const double frame_noise = noise_variance_ * std::pow(sharing, settings_.sharing_exponent);
  const double s = spread + frame_noise;
  const double raw_innovation = measured_w - h.dot(theta_);
  // A lone outlier is clipped; a run of them is a change to learn, so the clip widens with it.
  const double limit = settings_.innovation_clip_sd * std::sqrt(s * forgetting_speedup());
  const double innovation = std::clamp(raw_innovation, -limit, limit);

  theta_.noalias() += ph * (innovation / s);
  p_.noalias() -= (ph / s) * ph.transpose();

  if (dt_s_ > 0.0) {
    // How surprising the frame was; a run of surprises speeds forgetting up (begin_frame).
    const double gamma = 1.0 - std::exp(-dt_s_ / settings_.change_window_s);
    surprise_ = (1.0 - gamma) * surprise_ + gamma * innovation * innovation / s;
    // Noise: E[innovation²] = hᵀPh + R, so innovation² - hᵀPh estimates R; its running mean
    // over noise_memory_s, floored, is the noise the next frames use. While surprised it adapts
    // that many times slower: large innovations then mean "the model is wrong", and letting
    // them pass for noise would make the model deaf to the change it is relearning.
    const double beta = 1.0 - std::exp(-dt_s_ / (settings_.noise_memory_s * forgetting_speedup()));
    const double sample = innovation * innovation - spread;
    noise_variance_ =
        std::max((1.0 - beta) * noise_variance_ + beta * sample, noise_floor_variance_);
  }
  ++frames_learnt_;
}

double OnlineDisaggregator::noise_sd_w() const { return std::sqrt(noise_variance_); }

}  // namespace migpower
