// Saving and restoring the online model's cards, for the agent's warm restart (serve --state).

#include <nlohmann/json.hpp>

#include "attribution/online_frame_model.hpp"
#include "core/error.hpp"
#include "model/json_fields.hpp"

namespace migpower {

std::optional<nlohmann::json> OnlineFrameModel::save_card(std::string_view gpu_uuid) const {
  for (const Card& card : cards_) {
    if (card.uuid == gpu_uuid) {
      return nlohmann::json{{"last_timestamp_s", card.last_timestamp_s},
                            {"learnt", card.learnt},
                            {"model", card.model.save()}};
    }
  }
  return std::nullopt;
}

void OnlineFrameModel::restore_card(const std::string& gpu_uuid, const nlohmann::json& state,
                                    const std::string& where) {
  require_object(state, where);
  reject_unknown_keys(state, {"last_timestamp_s", "learnt", "model"}, where);
  const double last_timestamp_s = finite_number_field(state, "last_timestamp_s", where);
  const nlohmann::json& learnt = required_field(state, "learnt", where);
  if (!learnt.is_boolean()) throw InputError(where + ".learnt: expected true or false");
  // The prior is overwritten by the saved one: any will do to construct.
  OnlineDisaggregator model(OnlinePrior{100.0, 400.0}, settings_);
  model.restore(required_field(state, "model", where), where + ".model");
  for (Card& card : cards_) {
    if (card.uuid == gpu_uuid) {
      card = Card{gpu_uuid, std::move(model), last_timestamp_s, learnt.get<bool>()};
      return;
    }
  }
  cards_.push_back(Card{gpu_uuid, std::move(model), last_timestamp_s, learnt.get<bool>()});
}

}  // namespace migpower
