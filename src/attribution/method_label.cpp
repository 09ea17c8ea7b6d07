#include "attribution/method_label.hpp"

namespace migpower {

std::string method_label(const AttributionOptions& options) {
  std::string label(to_string(options.method));
  if (options.method == SplitMethod::utilization) {
    label += ':';
    label += short_field_name(options.utilization_field);
  }
  return label;
}

}  // namespace migpower
