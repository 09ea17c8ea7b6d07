#include "cli/time_option.hpp"

#include "cli/usage_error.hpp"
#include "trace/time_text.hpp"

namespace migpower::cli {

std::optional<double> parse_time_option(const std::string& text, const char* option) {
  if (text.empty()) return std::nullopt;
  const std::optional<double> t = parse_time_text(text);
  if (!t) {
    throw UsageError(std::string(option) + " '" + text +
                     "' is not a time (unix seconds or RFC 3339, e.g. 2026-11-01T00:00:00Z)");
  }
  return t;
}

}  // namespace migpower::cli
