#pragma once

#include <optional>
#include <string>

#include "core/fields.hpp"
#include "core/frame.hpp"

namespace migpower::testing {

// One instance with its slices given directly and, optionally, a GR_ENGINE_ACTIVE value.
inline InstanceSample instance(int id, std::string profile, int slices,
                               std::optional<double> gr = std::nullopt) {
  InstanceSample s;
  s.gpu_i_id = id;
  s.profile = std::move(profile);
  s.compute_slices = slices;
  if (gr) s.set(Activity::gr_engine, *gr);
  return s;
}

inline Frame frame(std::string uuid, std::string model, std::optional<double> power_w,
                   double t = 0.0) {
  Frame f;
  f.timestamp_s = t;
  f.gpu_uuid = std::move(uuid);
  f.gpu_model = std::move(model);
  f.power_w = power_w;
  return f;
}

// The A100 40GB layout 3g.20gb (id 1) + 2g.10gb (id 2) + 1g.5gb (ids 3, 4) with GR activities
// 0.8, 0.5, 0.0, 0.6.
inline Frame a100_mixed(std::optional<double> power_w) {
  Frame f = frame("GPU-a100", "NVIDIA A100-SXM4-40GB", power_w);
  f.instances = {instance(1, "3g.20gb", 3, 0.8), instance(2, "2g.10gb", 2, 0.5),
                 instance(3, "1g.5gb", 1, 0.0), instance(4, "1g.5gb", 1, 0.6)};
  return f;
}

}  // namespace migpower::testing
