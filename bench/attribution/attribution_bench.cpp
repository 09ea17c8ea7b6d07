// Cost of attributing one frame (7 instances) per method and idle policy, and of the energy
// ledger, on frames from the simulator held in memory. Run: build/bench/attribution_bench
#include <benchmark/benchmark.h>

#include <vector>

#include "attribution/attributor.hpp"
#include "ledger/energy_ledger.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

const std::vector<Frame>& seven_instance_frames() {
  static const std::vector<Frame> frames = [] {
    SimulationOptions options;
    options.scenario = "seven-1g";
    options.duration_s = 1024;
    Simulator simulator(options);
    std::vector<Frame> out;
    Frame frame;
    while (simulator.next(frame)) out.push_back(frame);
    return out;
  }();
  return frames;
}

void attribute_frame(benchmark::State& state) {
  AttributionOptions options;
  options.method = static_cast<SplitMethod>(state.range(0));
  options.idle_policy = static_cast<IdlePolicy>(state.range(1));
  Attributor attributor(options);
  const auto& frames = seven_instance_frames();
  FrameAttribution out;
  std::size_t i = 0;
  for (auto _ : state) {
    attributor.attribute(frames[i++ % frames.size()], out);
    benchmark::DoNotOptimize(out.shares.data());
  }
  state.SetLabel(std::string(to_string(options.method)) + "/" +
                 std::string(to_string(options.idle_policy)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(attribute_frame)->ArgsProduct({{0, 1, 2}, {0, 1, 2}});

void attribute_and_integrate_frame(benchmark::State& state) {
  Attributor attributor(AttributionOptions{});
  EnergyLedger ledger;
  const auto& frames = seven_instance_frames();
  FrameAttribution out;
  Frame frame;
  std::size_t i = 0;
  double t = 0.0;
  for (auto _ : state) {
    frame = frames[i++ % frames.size()];
    frame.timestamp_s = t += 1.0;  // keep time moving forward across laps
    attributor.attribute(frame, out);
    ledger.add(frame, out);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(attribute_and_integrate_frame);

}  // namespace
}  // namespace migpower

BENCHMARK_MAIN();
