#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace migpower::cli {

// Applies a TOML file's top-level keys to `command`'s options, each key named as its long
// option without the dashes (`idle-policy = "none"` for --idle-policy none), as if given on the
// command line; an option the command line gave itself keeps that value. Throws UsageError naming
// the file, line and key for a TOML syntax error, an unknown key, a table or array where a value
// belongs, or a value the option refuses.
void apply_config_file(CLI::App& command, const std::string& path);

}  // namespace migpower::cli
