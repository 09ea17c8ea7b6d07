#include "attribution/method_factory.hpp"

#include <array>
#include <filesystem>

#include "attribution/method_label.hpp"
#include "core/error.hpp"

namespace migpower {
namespace {

// Methods other helpers/issues add get one row here and one branch in make_attributor.
constexpr std::array kMethods = {
    MethodInfo{"equal", "same share of dynamic power for every instance", false},
    MethodInfo{"slices", "dynamic power by compute slices held (CEEMS)", false},
    MethodInfo{"utilization", "by compute slices x an activity field, --field (Kepler)", false},
};

AttributionOptions baseline_options(const MethodChoice& choice, SplitMethod method) {
  AttributionOptions options;
  options.method = method;
  options.idle_policy = choice.idle_policy;
  options.utilization_field = choice.utilization_field;
  return options;
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
  if (choice.method == "equal") return Attributor(baseline_options(choice, SplitMethod::equal));
  if (choice.method == "slices") return Attributor(baseline_options(choice, SplitMethod::slices));
  if (choice.method == "utilization") {
    return Attributor(baseline_options(choice, SplitMethod::utilization));
  }
  throw InputError("method '" + choice.method + "' is listed but not wired into make_attributor");
}

std::string method_label(const MethodChoice& choice) {
  if (choice.method == "utilization") {
    return method_label(baseline_options(choice, SplitMethod::utilization));
  }
  if (!choice.model_path.empty()) {
    return choice.method + " (" + std::filesystem::path(choice.model_path).filename().string() +
           ")";
  }
  return choice.method;
}

}  // namespace migpower
