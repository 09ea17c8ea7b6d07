#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "attribution/method_factory.hpp"

namespace migpower::cli {

// --method, --model, --force-model, --idle-policy and --field, as text until parsed so errors
// name the accepted values.
struct MethodOptions {
  std::string method = MethodChoice{}.method;
  std::string model_path;
  bool force_model = false;
  std::string idle_policy = "slices";
  std::string field = "GR_ENGINE_ACTIVE";
};

void add_method_options(CLI::App& command, MethodOptions& options);

// Throws UsageError for an unknown policy: a flag's value, not a file's content.
[[nodiscard]] IdlePolicy idle_policy_flag(const std::string& text);

// Throws UsageError for an unknown method, policy or field, or a method that needs --model
// without one.
[[nodiscard]] MethodChoice to_method_choice(const MethodOptions& options);

}  // namespace migpower::cli
