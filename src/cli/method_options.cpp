#include "cli/method_options.hpp"

#include "cli/usage_error.hpp"
#include "core/error.hpp"

namespace migpower::cli {
namespace {

std::string method_help() {
  std::string help = "How dynamic power is split:";
  for (const auto& info : attribution_methods()) {
    help += "\n  ";
    help += info.name;
    help += ": ";
    help += info.description;
    if (info.needs_model_file) help += " (needs --model)";
  }
  return help;
}

}  // namespace

void add_method_options(CLI::App& command, MethodOptions& options) {
  command.add_option("--method", options.method, method_help())->capture_default_str();
  command
      .add_option("--model", options.model_path,
                  "Offline model file written by `migpower train`, for the offline methods")
      ->type_name("FILE");
  command.add_flag("--force-model", options.force_model,
                   "Use a model file trained on another GPU model");
  command
      .add_option("--idle-policy", options.idle_policy,
                  "Static power: slices (by slices held), active (evenly among active "
                  "instances), none (left unattributed)")
      ->capture_default_str();
  command
      .add_option("--field", options.field,
                  "Activity field for --method utilization (e.g. GR_ENGINE_ACTIVE, SM_ACTIVE, "
                  "DRAM_ACTIVE)")
      ->capture_default_str();
}

IdlePolicy idle_policy_flag(const std::string& text) {
  try {
    return parse_idle_policy(text);
  } catch (const InputError& e) {
    throw UsageError(e.what());
  }
}

MethodChoice to_method_choice(const MethodOptions& options) {
  MethodChoice out;
  const MethodInfo* info = find_method(options.method);
  if (info == nullptr) {
    std::string names;
    for (const auto& known : attribution_methods()) {
      if (!names.empty()) names += ", ";
      names += known.name;
    }
    throw UsageError("unknown method '" + options.method + "'; one of: " + names);
  }
  if (info->needs_model_file && options.model_path.empty()) {
    throw UsageError("--method " + options.method +
                     " needs --model FILE (write one with `migpower train`)");
  }
  out.method = options.method;
  out.model_path = options.model_path;
  out.force_model = options.force_model;
  out.idle_policy = idle_policy_flag(options.idle_policy);
  const auto field = parse_activity(options.field);
  if (!field) {
    std::string names;
    for (const auto name : kActivityFieldNames) {
      names += ' ';
      names += name;
    }
    throw UsageError("unknown activity field '" + options.field + "'; one of:" + names);
  }
  out.utilization_field = *field;
  return out;
}

}  // namespace migpower::cli
