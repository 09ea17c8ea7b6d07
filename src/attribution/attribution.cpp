#include "attribution/attribution.hpp"

#include <string>

#include "core/error.hpp"

namespace migpower {

std::string_view to_string(IdlePolicy policy) {
  switch (policy) {
    case IdlePolicy::slices:
      return "slices";
    case IdlePolicy::active:
      return "active";
    case IdlePolicy::none:
      return "none";
  }
  return "unknown";
}

std::string_view to_string(SplitMethod method) {
  switch (method) {
    case SplitMethod::equal:
      return "equal";
    case SplitMethod::slices:
      return "slices";
    case SplitMethod::utilization:
      return "utilization";
  }
  return "unknown";
}

IdlePolicy parse_idle_policy(std::string_view text) {
  for (IdlePolicy p : {IdlePolicy::slices, IdlePolicy::active, IdlePolicy::none}) {
    if (text == to_string(p)) return p;
  }
  throw InputError("unknown idle policy '" + std::string(text) +
                   "': accepted values are slices, active, none");
}

SplitMethod parse_split_method(std::string_view text) {
  for (SplitMethod m : {SplitMethod::equal, SplitMethod::slices, SplitMethod::utilization}) {
    if (text == to_string(m)) return m;
  }
  throw InputError("unknown split method '" + std::string(text) +
                   "': accepted values are equal, slices, utilization");
}

}  // namespace migpower
