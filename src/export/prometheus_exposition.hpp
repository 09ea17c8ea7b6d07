#pragma once

#include <string>

#include "export/live_snapshot.hpp"

namespace migpower {

struct ExpositionOptions {
  // dcgm-exporter's host label: "hostname" since 2026, "Hostname" before.
  std::string hostname_label = "hostname";
  double now_wall_s = 0.0;
  // A card whose latest frame is older than this (wall seconds) is gone or stalled: its power
  // and energy series are left out, so nothing frozen is shown; its frame age stays.
  double stale_after_s = 10.0;
  double last_scrape_duration_s = 0.0;  // the previous /metrics render, for the health gauge
};

// The snapshot in the Prometheus text format (version 0.0.4), written by prometheus-cpp's
// TextSerializer. Per instance: power, its static and dynamic parts and one standard deviation
// (gauges, W), energy and its parts (counters, J); per card: measured power and energy; and the
// agent's health. Instance and card series carry dcgm-exporter's join labels (docs/agent.md).
[[nodiscard]] std::string prometheus_text(const LiveSnapshot& snapshot,
                                          const ExpositionOptions& options);

}  // namespace migpower
