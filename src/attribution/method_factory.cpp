#include "attribution/method_factory.hpp"

#include <algorithm>
#include <array>
#include <filesystem>

#include "attribution/method_label.hpp"
#include "attribution/offline_model_estimator.hpp"
#include "attribution/online_frame_model.hpp"
#include "attribution/paper_online_estimator.hpp"
#include "core/error.hpp"
#include "model/model_kinds.hpp"

namespace migpower {
namespace {

// Methods other helpers/issues add get one row here and one branch in make_attributor.
constexpr std::array kMethods = {
    MethodInfo{"online",
               "default: per-instance power learnt from the card's power alone (Kalman filter, "
               "docs/online-model.md), with an uncertainty",
               false},
    MethodInfo{"equal", "same share of dynamic power for every instance", false},
    MethodInfo{"slices", "dynamic power by compute slices held (CEEMS)", false},
    MethodInfo{"utilization", "by compute slices x an activity field, --field (Kepler)", false},
    MethodInfo{"paper-online",
               "the paper's workload-specific models, fitted online on frames where an instance "
               "runs alone, then scaled to the measured total",
               false},
    MethodInfo{"linear", "offline linear model from `migpower train --model linear`", true},
    MethodInfo{"ridge", "offline ridge model from `migpower train --model ridge`", true},
    MethodInfo{"poly2", "offline degree-2 polynomial model from `migpower train --model poly2`",
               true},
    MethodInfo{"gbt", "offline gradient-boosted trees from `migpower train --model gbt`", true},
};

AttributionOptions baseline_options(const MethodChoice& choice, SplitMethod method) {
  AttributionOptions options;
  options.method = method;
  options.idle_policy = choice.idle_policy;
  options.utilization_field = choice.utilization_field;
  return options;
}

// linear, ridge, poly2, gbt: `migpower train` makes them, each method reads its own kind.
bool is_offline_model_kind(std::string_view method) {
  const auto kinds = model_kinds();
  return std::any_of(kinds.begin(), kinds.end(),
                     [&](const ModelKindInfo& kind) { return kind.name == method; });
}

std::string known_methods() {
  std::string names;
  for (const auto& info : kMethods) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

}  // namespace

std::span<const MethodInfo> attribution_methods() { return kMethods; }

const MethodInfo* find_method(std::string_view name) {
  for (const auto& info : kMethods) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

Attributor make_attributor(const MethodChoice& choice) {
  const MethodInfo* info = find_method(choice.method);
  if (info == nullptr) {
    throw InputError("unknown method '" + choice.method + "'; one of: " + known_methods());
  }
  if (info->needs_model_file && choice.model_path.empty()) {
    throw InputError("method '" + choice.method + "' needs --model FILE (see `migpower train`)");
  }
  if (choice.method == "online") {
    return {baseline_options(choice, SplitMethod::utilization),
            std::make_unique<OnlineFrameModel>()};
  }
  if (choice.method == "equal") return Attributor(baseline_options(choice, SplitMethod::equal));
  if (choice.method == "slices") return Attributor(baseline_options(choice, SplitMethod::slices));
  if (choice.method == "utilization") {
    return Attributor(baseline_options(choice, SplitMethod::utilization));
  }
  if (choice.method == "paper-online") {
    return {baseline_options(choice, SplitMethod::utilization),
            std::make_unique<PaperOnlineEstimator>()};
  }
  if (is_offline_model_kind(choice.method)) {  // the file's kind must be the method
    return {baseline_options(choice, SplitMethod::slices),
            OfflineModelEstimator::from_file(choice.model_path, choice.method, choice.force_model)};
  }
  throw InputError("method '" + choice.method + "' is listed but not wired into make_attributor");
}

std::string method_label(const MethodChoice& choice) {
  if (choice.method == "utilization") {
    return method_label(baseline_options(choice, SplitMethod::utilization));
  }
  // Only methods that read the model file name it: a baseline in `--compare --model F` did not
  // use F.
  const MethodInfo* info = find_method(choice.method);
  if (!choice.model_path.empty() && info != nullptr && info->needs_model_file) {
    return choice.method + " (" + std::filesystem::path(choice.model_path).filename().string() +
           ")";
  }
  return choice.method;
}

}  // namespace migpower
