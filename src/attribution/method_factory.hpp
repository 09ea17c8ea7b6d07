#pragma once

#include <span>
#include <string>
#include <string_view>

#include "attribution/attribution.hpp"
#include "attribution/attributor.hpp"

namespace migpower {

// Everything that picks how a frame is split: the method by name, its model file where it needs
// one, and the idle policy. The CLI's --method/--model/--idle-policy/--field fill it.
struct MethodChoice {
  std::string method = "online";
  std::string model_path;    // offline model file, for methods that need one
  bool force_model = false;  // accept a model trained on another GPU model
  IdlePolicy idle_policy = IdlePolicy::slices;
  Activity utilization_field = Activity::gr_engine;
};

struct MethodInfo {
  std::string_view name;
  std::string_view description;
  bool needs_model_file = false;
};

// Every method, in the order `evaluate --compare` runs and prints them.
[[nodiscard]] std::span<const MethodInfo> attribution_methods();
[[nodiscard]] const MethodInfo* find_method(std::string_view name);

// Throws InputError for an unknown method (listing the known ones), a missing model file where
// one is needed, or a model file that cannot be used.
[[nodiscard]] Attributor make_attributor(const MethodChoice& choice);

// "utilization:GR_ENGINE_ACTIVE", "slices", "ridge (model.json)": names what produced a number
// in every output.
[[nodiscard]] std::string method_label(const MethodChoice& choice);

}  // namespace migpower
