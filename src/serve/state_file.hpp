#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "serve/live_attribution.hpp"

namespace migpower {

// Writes `text` to `path` so that a crash at any instant leaves either the old file or the new
// one whole: a temporary file beside it, fsync, rename over the old, fsync of the folder. Throws
// InputError naming the path on failure (the old file is then untouched).
void write_file_atomically(const std::string& path, std::string_view text);

// The agent's --state file: the format's name and version, the migpower version, the method and
// idle policy, and LiveAttribution::save_state()'s cards.
[[nodiscard]] std::string agent_state_text(const LiveAttribution& attribution,
                                           const AgentIdentity& identity);

// Loads `path` into `attribution` (see LiveAttribution::load_state). A missing file is a first
// start: nullopt. A file of another format version, migpower version, method or idle policy, or
// one that is malformed, is refused: the reason is returned and nothing is loaded (the agent
// starts cold). Otherwise returns the empty string.
[[nodiscard]] std::optional<std::string> load_agent_state(const std::string& path,
                                                          const AgentIdentity& identity,
                                                          LiveAttribution& attribution);

}  // namespace migpower
