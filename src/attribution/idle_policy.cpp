#include "attribution/idle_policy.hpp"

#include <algorithm>

#include "attribution/slice_weight.hpp"

namespace migpower {

bool is_active(const InstanceSample& instance, Activity utilization_field) {
  if (const auto value = instance.get(utilization_field)) return *value > kActiveThreshold;
  return std::any_of(instance.activity.begin(), instance.activity.end(),
                     [](const auto& a) { return a.has_value() && *a > kActiveThreshold; });
}

void static_weights(IdlePolicy policy, Activity utilization_field, const Frame& frame,
                    std::span<double> out) {
  const auto by_slices = [&] {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = slice_weight(frame.instances[i]);
  };
  switch (policy) {
    case IdlePolicy::slices:
      by_slices();
      return;
    case IdlePolicy::none:
      std::fill(out.begin(), out.end(), 0.0);
      return;
    case IdlePolicy::active: {
      bool any = false;
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = is_active(frame.instances[i], utilization_field) ? 1.0 : 0.0;
        any = any || out[i] > 0.0;
      }
      if (!any) by_slices();
      return;
    }
  }
}

}  // namespace migpower
