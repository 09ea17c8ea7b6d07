#include "core/fields.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace migpower {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

std::optional<Activity> parse_activity(std::string_view name) {
  struct Alias {
    std::string_view name;
    Activity activity;
  };
  static constexpr std::array<Alias, 8> kShort = {{
      {"GR", Activity::gr_engine},
      {"SM", Activity::sm},
      {"OCCUPANCY", Activity::sm_occupancy},
      {"TENSOR", Activity::tensor},
      {"DRAM", Activity::dram},
      {"FP64", Activity::fp64},
      {"FP32", Activity::fp32},
      {"FP16", Activity::fp16},
  }};
  const std::string wanted = upper(name);
  for (std::size_t i = 0; i < kActivityCount; ++i) {
    const std::string_view full = kActivityFieldNames[i];
    constexpr std::string_view kPrefix = "DCGM_FI_PROF_";
    const std::string_view bare = full.substr(kPrefix.size());  // e.g. PIPE_TENSOR_ACTIVE
    if (wanted == full || wanted == bare) return static_cast<Activity>(i);
    if (bare.starts_with("PIPE_") && wanted == bare.substr(5)) return static_cast<Activity>(i);
  }
  for (const auto& alias : kShort) {
    if (wanted == alias.name) return alias.activity;
  }
  return std::nullopt;
}

}  // namespace migpower
