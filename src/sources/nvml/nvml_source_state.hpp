// NvmlSource's private state: the session and the readers it wires into frames. Internal to
// src/sources/nvml; nvml_source.cpp reads frames with it and nvml_report.cpp the report.
#pragma once

#include <cstddef>

#include "core/frame.hpp"
#include "sources/interval_pacer.hpp"
#include "sources/live_clock.hpp"
#include "sources/nvml/nvml_card.hpp"
#include "sources/nvml/nvml_discovery.hpp"
#include "sources/nvml/nvml_gpm.hpp"
#include "sources/nvml/nvml_processes.hpp"
#include "sources/nvml/nvml_session.hpp"
#include "sources/nvml/nvml_source.hpp"

namespace migpower {

struct NvmlSource::State {
  // Opens the library and discovers the GPUs; throws nvml::NvmlError when there are none. NVML
  // is shut down when `discovery` is destroyed.
  explicit State(NvmlSourceOptions opts);
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  // Starts the tick at `time`: stamps it, re-discovers and re-checks layouts when due.
  void start_tick(double time);
  // One card's frame; false when the card is lost (its frame is skipped).
  bool read_card(nvml::Card& card, Frame& frame);
  // Reads every GPU twice and says what was found (nvml_report.cpp).
  SourceReport report();

  NvmlSourceOptions options;
  LiveClock& clock;
  IntervalPacer pacer;
  nvml::Session session;
  nvml::Discovery discovery;
  nvml::GpmReader gpm;
  nvml::ProcessReader processes;
  std::size_t cursor = 0;  // next card to hand out in this tick

 private:
  // The card's fields, then each instance's (fields, GPM, duty cycle), then its processes.
  void fill(nvml::Card& card, Frame& frame);
};

}  // namespace migpower
