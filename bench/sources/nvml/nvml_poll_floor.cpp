// The floor any NVML-based agent pays per frame (bench/sources/nvml/nvml_poll_floor.hpp), as a
// process of its own so that bench/cli/agent_bench.cpp can time it beside `migpower record`:
//
//   nvml_poll_floor LIBRARY INTERVAL_SECONDS FRAMES [SLICE_SECONDS]
//
// Frames are paced like migpower's: frame k at start + k * interval, reached with one sleep, or
// with SLICE_SECONDS in sleeps of at most that long, as migpower's clock once did to see Ctrl-C
// (what that way of waiting costs). FRAMES 0 measures what starting, opening NVML and finding the
// cards costs.
#include "nvml_poll_floor.hpp"

#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "floor_pacing.hpp"

namespace {

constexpr double kLayoutCheckSeconds = 10.0;  // NvmlSourceOptions::layout_check_interval_s

using floor_pacing::now_s;

void sleep_until(double t, double slice) {
  if (slice > 0.0) {
    for (double left = t - now_s(); left > 0.0; left = t - now_s()) {
      const double part = std::min(left, slice);
      timespec wait{};
      wait.tv_sec = static_cast<time_t>(part);
      wait.tv_nsec = static_cast<long>((part - static_cast<double>(wait.tv_sec)) * 1e9);
      nanosleep(&wait, nullptr);
    }
    return;
  }
  floor_pacing::sleep_until(t);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 && argc != 5) {
    std::fprintf(stderr, "usage: nvml_poll_floor LIBRARY INTERVAL_SECONDS FRAMES [SLICE]\n");
    return 2;
  }
  const double interval = std::atof(argv[2]);
  const long frames = std::atol(argv[3]);
  const double slice = argc == 5 ? std::atof(argv[4]) : 0.0;
  try {
    migpower::bench::NvmlPollFloor floor(argv[1]);
    const double start = now_s();
    double next_layout_check = start + kLayoutCheckSeconds;
    double checksum = 0.0;
    for (long frame = 0; frame < frames; ++frame) {
      sleep_until(start + static_cast<double>(frame) * interval, slice);
      if (now_s() >= next_layout_check) {
        floor.rescan_layouts();
        next_layout_check += kLayoutCheckSeconds;
      }
      checksum += floor.poll_frame();
    }
    std::printf("frames %ld instances %zu checksum %g\n", frames, floor.instance_count(), checksum);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "nvml_poll_floor: %s\n", error.what());
    return 1;
  }
  return 0;
}
