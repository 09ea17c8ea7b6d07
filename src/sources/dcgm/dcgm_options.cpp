// The checks on DcgmSourceOptions (see dcgm_options.hpp): a too-short interval or a bad layout
// check interval is refused with an InputError before DCGM is opened.
#include "sources/dcgm/dcgm_options.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "core/error.hpp"

namespace migpower::dcgm_source {

std::string describe_number(double value) {
  std::array<char, 32> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value,
                                    std::chars_format::general, 6);
  return {buffer.data(), result.ptr};
}

DcgmSourceOptions checked(DcgmSourceOptions options) {
  if (!std::isfinite(options.interval_s) || options.interval_s < kDcgmMinIntervalS - 1e-12) {
    throw InputError("dcgm: interval " + describe_number(options.interval_s * 1000.0) + " ms" +
                     " is too short: DCGM samples its fields at most every 100 ms "
                     "(use --interval 100ms or more)");
  }
  if (!std::isfinite(options.layout_check_interval_s) || options.layout_check_interval_s <= 0.0) {
    throw InputError("dcgm: the MIG layout check interval must be a positive number of seconds");
  }
  return options;
}

}  // namespace migpower::dcgm_source
