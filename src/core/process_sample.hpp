#pragma once

#include <optional>
#include <string>

namespace migpower {

// One process on one GPU at one frame's instant, as the NVML source sees it: which MIG instance
// it runs in and, where the driver offers it, its share of the GPU. Not part of the trace
// contract (the trace has no per-process rows): it goes to a side file
// (docs/live-telemetry.md, "Per-process utilization"). In core, beside Frame, because the
// trace layer reads and writes it and the attribution layer splits power by it.
struct ProcessSample {
  double timestamp_s = 0.0;
  std::string timestamp_text;   // the frame's, so the side file joins the trace on it
  std::string gpu_uuid;         // the card's
  std::optional<int> gpu_i_id;  // none: the whole GPU (MIG off)
  unsigned pid = 0;
  std::string name;  // empty when NVML could not tell (the process ended, or no permission)
  // Percent 0..100, averaged over the driver's samples since the previous frame; none when the
  // driver has no new sample of the process (it reports only processes that were busy) or no
  // per-process utilization at all (MIG).
  std::optional<double> sm_util_pct;
  std::optional<double> mem_util_pct;
  std::optional<unsigned long long> used_memory_bytes;  // none: the driver does not say
};

}  // namespace migpower
