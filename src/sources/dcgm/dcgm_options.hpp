// The checks DcgmSource makes on its options before it touches DCGM, and the short number format
// their messages (and the reconnect notice) use.
#pragma once

#include <string>

#include "sources/dcgm/dcgm_source.hpp"

namespace migpower::dcgm_source {

// `options`, once usable. Throws InputError for an interval below kDcgmMinIntervalS or a layout
// check interval that is not a positive number of seconds.
[[nodiscard]] DcgmSourceOptions checked(DcgmSourceOptions options);

// `value` with at most six significant digits ("50", "0.125").
[[nodiscard]] std::string describe_number(double value);

}  // namespace migpower::dcgm_source
