#include "attribution/online_frame_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/catalog.hpp"

namespace migpower {

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
  cards_.push_back(Card{frame.gpu_uuid, OnlineDisaggregator(prior, settings_), 0.0, false});
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
  card.model.share_sd(split.static_fraction, split.dynamic_fraction, static_is_measured, sd_w);
  card.model.learn(split.measured_w);
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
