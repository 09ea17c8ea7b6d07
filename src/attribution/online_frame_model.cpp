#include "attribution/online_frame_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/catalog.hpp"

namespace migpower {
namespace {

// The energy counter stands in for the reading only over frames at most this long apart, and
// only when the two agree to within half the reading plus this slack (a counter reset or wrap,
// or a stale counter, would otherwise teach the model nonsense).
constexpr double kMaxCounterGap_s = 60.0;
constexpr double kCounterSlack_w = 50.0;

}  // namespace

OnlineFrameModel::OnlineFrameModel(OnlineSettings settings) : settings_(settings) {}

OnlineFrameModel::Card& OnlineFrameModel::card_for(const Frame& frame) {
  for (std::size_t i = 0; i < cards_.size(); ++i) {
    if (cards_[i].uuid == frame.gpu_uuid) {
      current_ = i;
      return cards_[i];
    }
  }
  const OnlinePrior prior = OnlinePrior::for_card(find_gpu_model(frame.gpu_model),
                                                  frame.power_limit_w, frame.power_w.value_or(0.0));
  cards_.push_back(Card{frame.gpu_uuid, OnlineDisaggregator(prior, settings_), 0.0, false,
                        std::numeric_limits<double>::quiet_NaN()});
  current_ = cards_.size() - 1;
  return cards_.back();
}

void OnlineFrameModel::estimate(const Frame& frame, FrameEstimate& out) {
  Card& card = card_for(frame);
  const CardContext context = extractor_.card(frame);
  StaticFeatureVector psi;
  FeatureExtractor::static_features(context, psi);
  const std::size_t n = frame.instances.size();
  phi_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    FeatureExtractor::instance_features(context, frame.instances[i], phi_[i]);
  }
  // Time since the card's last frame; a frame out of order or repeated gives no forgetting.
  const double dt = card.learnt && std::isfinite(frame.timestamp_s)
                        ? std::max(frame.timestamp_s - card.last_timestamp_s, 0.0)
                        : 0.0;
  card.model.begin_frame(psi, phi_, dt);
  out.static_w = card.model.static_w();
  out.dynamic_w.resize(n);
  for (std::size_t i = 0; i < n; ++i) out.dynamic_w[i] = card.model.dynamic_w(i);
}

void OnlineFrameModel::finish(const Frame& frame, const FrameSplit& split, std::span<double> sd_w) {
  Card& card = cards_[current_];
  const bool static_is_measured = split.static_w >= split.measured_w;
  // The card's mean power over the frame from its energy counter, where it has one that moved
  // plausibly since the card's last frame: what the frame's activity describes, without the
  // reading's noise or its own averaging window. A reset, a wrap or a gap falls back to the
  // reading.
  double target_w = split.measured_w;
  const double energy_mj = frame.energy_mj.value_or(std::numeric_limits<double>::quiet_NaN());
  const double dt = frame.timestamp_s - card.last_timestamp_s;
  if (settings_.learn_from_energy_counter && card.learnt && std::isfinite(energy_mj) &&
      std::isfinite(card.last_energy_mj) && dt > 0.0 && dt <= kMaxCounterGap_s) {
    const double counter_w = (energy_mj - card.last_energy_mj) / 1000.0 / dt;
    if (counter_w >= 0.0 && std::abs(counter_w - split.measured_w) <=
                                0.5 * std::abs(split.measured_w) + kCounterSlack_w) {
      target_w = counter_w;
      card.model.set_reading_gap(split.measured_w - counter_w);
    }
  }
  card.model.share_sd(split.static_fraction, split.dynamic_fraction, static_is_measured, sd_w);
  card.model.learn(target_w);
  if (std::isfinite(frame.timestamp_s) &&
      (!card.learnt || frame.timestamp_s > card.last_timestamp_s)) {
    card.last_energy_mj = energy_mj;
  }
  if (std::isfinite(frame.timestamp_s)) {
    card.last_timestamp_s =
        card.learnt ? std::max(card.last_timestamp_s, frame.timestamp_s) : frame.timestamp_s;
    card.learnt = true;
  }
}

double OnlineFrameModel::identifiability(std::size_t i) const {
  if (current_ >= cards_.size() || i >= phi_.size()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return cards_[current_].model.identifiability(i);
}

const OnlineDisaggregator* OnlineFrameModel::card_model(std::string_view gpu_uuid) const {
  for (const auto& card : cards_) {
    if (card.uuid == gpu_uuid) return &card.model;
  }
  return nullptr;
}

}  // namespace migpower
