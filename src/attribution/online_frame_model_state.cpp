// Saving and restoring the online model's cards, for the agent's warm restart (serve --state).

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "attribution/online_frame_model.hpp"
#include "core/error.hpp"
#include "model/json_fields.hpp"

namespace migpower {

std::optional<nlohmann::json> OnlineFrameModel::save_card(std::string_view gpu_uuid) const {
  for (const Card& card : cards_) {
    if (card.uuid == gpu_uuid) {
      nlohmann::json state{{"last_timestamp_s", card.last_timestamp_s},
                           {"learnt", card.learnt},
                           {"model", card.model.save()}};
      if (std::isfinite(card.last_energy_mj)) state["last_energy_mj"] = card.last_energy_mj;
      return state;
    }
  }
  return std::nullopt;
}

void OnlineFrameModel::restore_card(const std::string& gpu_uuid, const nlohmann::json& state,
                                    const std::string& where) {
  require_object(state, where);
  reject_unknown_keys(state, {"last_timestamp_s", "learnt", "model", "last_energy_mj"}, where);
  // The energy counter at the last frame came later and is absent while the card had none.
  const double last_energy_mj = state.contains("last_energy_mj")
                                    ? finite_number_field(state, "last_energy_mj", where)
                                    : std::numeric_limits<double>::quiet_NaN();
  const double last_timestamp_s = finite_number_field(state, "last_timestamp_s", where);
  const nlohmann::json& learnt = required_field(state, "learnt", where);
  if (!learnt.is_boolean()) throw InputError(where + ".learnt: expected true or false");
  // The prior is overwritten by the saved one: any will do to construct.
  OnlineDisaggregator model(OnlinePrior{100.0, 400.0}, settings_);
  model.restore(required_field(state, "model", where), where + ".model");
  for (Card& card : cards_) {
    if (card.uuid == gpu_uuid) {
      card = Card{gpu_uuid, std::move(model), last_timestamp_s, learnt.get<bool>(), last_energy_mj};
      return;
    }
  }
  cards_.push_back(
      Card{gpu_uuid, std::move(model), last_timestamp_s, learnt.get<bool>(), last_energy_mj});
}

}  // namespace migpower
