#pragma once

#include <string>

#include "attribution/attribution.hpp"

namespace migpower {

// "utilization:GR_ENGINE_ACTIVE", "slices", ...: names what produced a number in every output.
[[nodiscard]] std::string method_label(const AttributionOptions& options);

}  // namespace migpower
