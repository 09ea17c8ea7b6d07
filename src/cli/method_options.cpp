#include "cli/method_options.hpp"

#include "cli/usage_error.hpp"
#include "core/error.hpp"

namespace migpower::cli {

void add_method_options(CLI::App& command, MethodOptions& options) {
  command.add_option("--method", options.method, "Dynamic power split: equal, slices, utilization")
      ->capture_default_str();
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

AttributionOptions to_attribution_options(const MethodOptions& options) {
  AttributionOptions out;
  try {
    out.method = parse_split_method(options.method);
  } catch (const InputError& e) {
    throw UsageError(e.what());
  }
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
