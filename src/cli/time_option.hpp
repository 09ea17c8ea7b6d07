#pragma once

#include <optional>
#include <string>

namespace migpower::cli {

// A --from/--to time: unix seconds or RFC 3339; none when empty. Throws UsageError naming the
// option.
[[nodiscard]] std::optional<double> parse_time_option(const std::string& text, const char* option);

}  // namespace migpower::cli
