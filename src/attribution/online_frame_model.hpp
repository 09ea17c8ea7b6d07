#pragma once

#include <cstddef>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attribution/frame_model.hpp"
#include "model/features.hpp"
#include "model/online_disaggregator.hpp"

namespace migpower {

// The "online" method (docs/online-model.md): one OnlineDisaggregator per card (by gpu_uuid),
// created with the catalog's prior on first sight and kept across MIG layout changes (the
// coefficients describe the silicon, not the layout). Learns from every frame with a measured
// power; never reads truth_power_w.
class OnlineFrameModel final : public FrameModel {
 public:
  explicit OnlineFrameModel(OnlineSettings settings = {});

  void estimate(const Frame& frame, FrameEstimate& out) override;
  void finish(const Frame& frame, const FrameSplit& split, std::span<double> sd_w) override;
  [[nodiscard]] std::string_view name() const override { return "online"; }

  // The card's model, or nullptr before its first frame (for tests and diagnostics).
  [[nodiscard]] const OnlineDisaggregator* card_model(std::string_view gpu_uuid) const;
  // Instance i's identifiability (OnlineDisaggregator::identifiability) in the frame last
  // attributed, after learning from it (NaN before the first frame).
  [[nodiscard]] double identifiability(std::size_t i) const;

  // A card's learnt state (nullopt before its first frame) and taking one back, for the agent's
  // warm restart (attribution/online_frame_model_state.cpp). restore_card throws InputError
  // naming the field under `where` that does not fit, and then changes nothing.
  [[nodiscard]] std::optional<nlohmann::json> save_card(std::string_view gpu_uuid) const;
  void restore_card(const std::string& gpu_uuid, const nlohmann::json& state,
                    const std::string& where);

 private:
  struct Card {
    std::string uuid;
    OnlineDisaggregator model;
    double last_timestamp_s = 0.0;
    bool learnt = false;  // a frame has been learnt from, so last_timestamp_s is set
    // The energy counter (mJ) at last_timestamp_s, NaN when that frame had none.
    double last_energy_mj = std::numeric_limits<double>::quiet_NaN();
  };
  Card& card_for(const Frame& frame);

  OnlineSettings settings_;
  FeatureExtractor extractor_;
  std::vector<Card> cards_;  // few cards per host: a linear search beats hashing
  std::size_t current_ = 0;  // the card of the frame between estimate() and finish()
  std::vector<FeatureVector> phi_;
};

}  // namespace migpower
