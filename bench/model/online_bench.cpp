// Cost of the default "online" method per frame: a whole frame of 7 instances (features, the
// Kalman update, attribution and reconciliation, the per-share uncertainty), on seven-1g frames
// from the simulator held in memory; and the model's own steps alone. Run:
// build/bench/online_bench
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "attribution/attributor.hpp"
#include "attribution/online_frame_model.hpp"
#include "model/features.hpp"
#include "model/online_disaggregator.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

const std::vector<Frame>& seven_instance_frames() {
  static const std::vector<Frame> frames = [] {
    SimulationOptions options;
    options.scenario = "seven-1g";
    options.duration_s = 4096;
    Simulator simulator(options);
    std::vector<Frame> out;
    Frame frame;
    while (simulator.next(frame)) out.push_back(frame);
    return out;
  }();
  return frames;
}

// Everything `migpower attribute --method online` does per frame, minus reading and writing.
void online_attribute_frame(benchmark::State& state) {
  Attributor attributor(AttributionOptions{}, std::make_unique<OnlineFrameModel>());
  const auto& frames = seven_instance_frames();
  FrameAttribution out;
  Frame frame;
  std::size_t i = 0;
  double t = 0.0;
  for (auto _ : state) {
    state.PauseTiming();  // keep time moving forward across laps, outside the timing
    frame = frames[i++ % frames.size()];
    frame.timestamp_s = t += 1.0;
    state.ResumeTiming();
    attributor.attribute(frame, out);
    benchmark::DoNotOptimize(out.shares.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(online_attribute_frame);

// The same without pausing the timer: copying the frame (two strings per instance) is included,
// so this is an upper bound; PauseTiming itself costs ~100s of ns and blurs the one above.
void online_attribute_frame_with_copy(benchmark::State& state) {
  Attributor attributor(AttributionOptions{}, std::make_unique<OnlineFrameModel>());
  const auto& frames = seven_instance_frames();
  FrameAttribution out;
  Frame frame;
  std::size_t i = 0;
  double t = 0.0;
  for (auto _ : state) {
    frame = frames[i++ % frames.size()];
    frame.timestamp_s = t += 1.0;
    attributor.attribute(frame, out);
    benchmark::DoNotOptimize(out.shares.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(online_attribute_frame_with_copy);

// The model's steps alone (features precomputed): predict, share uncertainty, Kalman update.
void online_model_step(benchmark::State& state) {
  const auto& frames = seven_instance_frames();
  FeatureExtractor extractor;
  std::vector<StaticFeatureVector> psi(frames.size());
  std::vector<std::vector<FeatureVector>> phi(frames.size());
  for (std::size_t k = 0; k < frames.size(); ++k) {
    const CardContext card = extractor.card(frames[k]);
    FeatureExtractor::static_features(card, psi[k]);
    phi[k].resize(frames[k].instances.size());
    for (std::size_t i = 0; i < phi[k].size(); ++i) {
      FeatureExtractor::instance_features(card, frames[k].instances[i], phi[k][i]);
    }
  }
  OnlineDisaggregator model(OnlinePrior::for_card(find_gpu_model(frames[0].gpu_model), {}, 0.0));
  std::vector<double> fraction(7, 1.0 / 7.0);
  std::vector<double> sd(7);
  std::size_t k = 0;
  for (auto _ : state) {
    const std::size_t j = k++ % frames.size();
    model.begin_frame(psi[j], phi[j], 1.0);
    double sum = model.static_w();
    for (std::size_t i = 0; i < phi[j].size(); ++i) sum += model.dynamic_w(i);
    model.share_sd(fraction, fraction, false, sd);
    model.learn(*frames[j].power_w);
    benchmark::DoNotOptimize(sum);
    benchmark::DoNotOptimize(sd.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(online_model_step);

}  // namespace
}  // namespace migpower

BENCHMARK_MAIN();
