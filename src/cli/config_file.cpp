#include "cli/config_file.hpp"

#include <toml++/toml.h>

#include <cstdio>
#include <string_view>

#include "cli/usage_error.hpp"

namespace migpower::cli {
namespace {

std::string at(const std::string& path, const toml::source_region& where) {
  return path + ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column);
}

std::string known_keys(const CLI::App& command) {
  std::string keys;
  for (const CLI::Option* option : command.get_options()) {
    for (const std::string& name : option->get_lnames()) {
      if (name == "help" || name == "config") continue;
      if (!keys.empty()) keys += ", ";
      keys += name;
    }
  }
  return keys;
}

// The value as the command line would spell it; nullopt for tables, arrays and dates.
std::optional<std::string> option_text(const toml::node& node) {
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* integer = node.as_integer()) return std::to_string(integer->get());
  if (const auto* number = node.as_floating_point()) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.17g", number->get());
    return std::string(buffer);
  }
  if (const auto* flag = node.as_boolean()) return std::string(flag->get() ? "true" : "false");
  return std::nullopt;
}

}  // namespace

void apply_config_file(CLI::App& command, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    const std::string description(error.description());
    if (error.source().begin.line == 0) throw UsageError("--config " + path + ": " + description);
    throw UsageError(at(path, error.source()) + ": " + description);
  }
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    // Errors point at the key when it is unknown, at the value when the value is wrong.
    CLI::Option* option = command.get_option_no_throw("--" + name);
    if (option == nullptr || name == "help" || name == "config") {
      throw UsageError(at(path, key.source()) + ": key '" + name +
                       "' is not an option of `migpower " + command.get_name() +
                       "` (known: " + known_keys(command) + ")");
    }
    const std::string where = at(path, node.source()) + ": key '" + name + "'";
    const std::optional<std::string> text = option_text(node);
    if (!text) throw UsageError(where + " must be a string, a number or true/false");
    if (option->count() > 0) continue;  // the command line wins
    try {
      option->add_result(*text);
      option->run_callback();
    } catch (const CLI::Error& error) {
      throw UsageError(where + ": " + error.what());
    }
  }
}

}  // namespace migpower::cli
