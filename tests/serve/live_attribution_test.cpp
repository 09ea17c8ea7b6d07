// LiveAttribution: the agent's frame-by-frame work, on the simulator: energy is conserved, a
// layout change leaves no stale instance, and a warm restart from saved state continues as if
// never interrupted, while a state of another card or layout is refused.

#include "serve/live_attribution.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "attribution/method_factory.hpp"
#include "core/error.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

AgentIdentity identity() { return {"node-1", "online", "slices", "test"}; }

LiveAttribution online() { return {make_attributor(MethodChoice{}), identity(), 0.0}; }

std::vector<Frame> simulate(const std::string& scenario, double duration_s, std::uint64_t seed) {
  Simulator simulator(SimulationOptions{scenario, seed, duration_s, 1.0});
  std::vector<Frame> frames;
  Frame frame;
  while (simulator.next(frame)) frames.push_back(frame);
  return frames;
}

// Mean absolute percentage error of each frame's instance power against the simulator's truth.
struct Errors {
  double sum = 0.0;
  std::size_t count = 0;
  void add(const LiveSnapshot& snapshot, const Frame& frame) {
    for (const LiveCard& card : snapshot.cards) {
      if (card.gpu_uuid != frame.gpu_uuid) continue;
      for (std::size_t i = 0; i < frame.instances.size(); ++i) {
        const double truth = frame.instances[i].truth_power_w.value_or(0.0);
        if (truth <= 1.0) continue;
        sum += std::abs(card.instances[i].power_w - truth) / truth;
        ++count;
      }
    }
  }
  [[nodiscard]] double mape() const { return 100.0 * sum / static_cast<double>(count); }
};

TEST(LiveAttribution, InstancesEnergySumsToTheCardsMeasuredEnergy) {
  LiveAttribution live = online();
  for (const Frame& frame : simulate("mixed", 300.0, 3)) live.add(frame, frame.timestamp_s);
  const LiveSnapshot& snapshot = live.snapshot();
  ASSERT_EQ(snapshot.cards.size(), 1u);
  const LiveCard& card = snapshot.cards[0];
  ASSERT_EQ(card.instances.size(), 4u);
  double instances = 0.0;
  double parts = 0.0;
  for (const LiveInstance& instance : card.instances) {
    instances += instance.energy_j;
    parts += instance.static_energy_j + instance.dynamic_energy_j;
    EXPECT_TRUE(std::isfinite(instance.sd_w));
  }
  EXPECT_GT(card.energy_j, 300.0 * 55.0);  // at least the A100's idle floor for 300 s
  EXPECT_NEAR(instances + 0.0, card.energy_j, 1e-6 * card.energy_j);
  EXPECT_NEAR(parts, instances, 1e-6 * instances);
  EXPECT_EQ(snapshot.frames_attributed, 300u);
  EXPECT_TRUE(std::isfinite(card.residual_w));
}

TEST(LiveAttribution, ALayoutChangeReplacesTheInstancesAndIsCounted) {
  LiveAttribution live = online();
  std::vector<Frame> frames = simulate("mixed", 20.0, 1);
  for (const Frame& frame : frames) live.add(frame, frame.timestamp_s);
  Frame changed = frames.back();
  changed.timestamp_s += 1.0;
  changed.instances.resize(2);  // two instances destroyed
  live.add(changed, changed.timestamp_s);
  const LiveCard& card = live.snapshot().cards[0];
  ASSERT_EQ(card.instances.size(), 2u);
  EXPECT_EQ(live.snapshot().events.at("layout_change"), 1u);
  double sum = 0.0;
  for (const LiveInstance& instance : card.instances) sum += instance.power_w;
  EXPECT_NEAR(sum, card.power_w, 1e-9);
}

TEST(LiveAttribution, ATimeGoingBackIsRefusedAndRecordsNothing) {
  LiveAttribution live = online();
  std::vector<Frame> frames = simulate("single", 10.0, 1);
  for (const Frame& frame : frames) live.add(frame, frame.timestamp_s);
  const LiveSnapshot before = live.snapshot();
  Frame back = frames[3];
  EXPECT_THROW(live.add(back, 100.0), InputError);
  EXPECT_EQ(live.snapshot().frames_attributed, before.frames_attributed);
  EXPECT_EQ(live.snapshot().cards[0].energy_j, before.cards[0].energy_j);
}

// The restart test of docs/agent.md: an hour of "mixed", the agent stopped after 40 minutes and
// started again from its saved state, against the uninterrupted run over the last 20 minutes.
TEST(LiveAttribution, AWarmRestartContinuesAsIfNeverStopped) {
  const std::vector<Frame> frames = simulate("mixed", 3600.0, 7);
  const std::size_t cut = 2400;

  LiveAttribution uninterrupted = online();
  Errors whole;
  for (std::size_t k = 0; k < frames.size(); ++k) {
    uninterrupted.add(frames[k], frames[k].timestamp_s);
    if (k > cut) whole.add(uninterrupted.snapshot(), frames[k]);
  }

  LiveAttribution first = online();
  for (std::size_t k = 0; k <= cut; ++k) first.add(frames[k], frames[k].timestamp_s);
  const nlohmann::json saved = nlohmann::json::parse(first.save_state().dump());  // via text
  LiveAttribution warm = online();
  warm.load_state(saved, "state");
  LiveAttribution cold = online();
  Errors restarted;
  Errors cold_errors;
  for (std::size_t k = cut + 1; k < frames.size(); ++k) {
    warm.add(frames[k], frames[k].timestamp_s);
    cold.add(frames[k], frames[k].timestamp_s);
    restarted.add(warm.snapshot(), frames[k]);
    cold_errors.add(cold.snapshot(), frames[k]);
  }
  std::cout << "per-instance MAPE over the last 20 min: uninterrupted " << whole.mape()
            << " %, warm restart " << restarted.mape() << " %, cold start " << cold_errors.mape()
            << " %\n";
  // Tolerance (docs/agent.md): the same per-instance MAPE within 0.05 percentage points.
  EXPECT_NEAR(restarted.mape(), whole.mape(), 0.05);
  EXPECT_EQ(warm.snapshot().events.at("warm_start"), 1u);
  // The energy counters carry on: the warm run's card energy is the uninterrupted run's less the
  // one interval that spans the restart (its first frame has no earlier frame to close it).
  const double lost_j =
      uninterrupted.snapshot().cards[0].energy_j - warm.snapshot().cards[0].energy_j;
  EXPECT_GE(lost_j, 0.0);
  EXPECT_LE(lost_j, 400.0 * 1.0);  // at most the A100's 400 W for the 1 s interval
  // And the restore matters: a cold start over the same frames is worse.
  EXPECT_GT(cold_errors.mape(), restarted.mape() + 0.05);
}

TEST(LiveAttribution, AStateOfAnotherLayoutIsRefusedAndTheCardStartsCold) {
  const std::vector<Frame> frames = simulate("mixed", 60.0, 1);
  LiveAttribution first = online();
  for (const Frame& frame : frames) first.add(frame, frame.timestamp_s);
  nlohmann::json saved = first.save_state();
  saved[0]["layout"] = "1:7g.40gb";
  LiveAttribution restarted = online();
  std::vector<std::string> messages;
  restarted.on_message = [&](const std::string& message) { messages.push_back(message); };
  restarted.load_state(saved, "state");
  restarted.add(frames[0], frames[0].timestamp_s);
  EXPECT_EQ(restarted.snapshot().events.at("state_refused"), 1u);
  EXPECT_EQ(restarted.snapshot().events.count("warm_start"), 0u);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(messages[0].find("1:7g.40gb"), std::string::npos);
  EXPECT_EQ(restarted.snapshot().cards[0].energy_j, 0.0);  // counters start over too
}

TEST(LiveAttribution, AMalformedStateNamesTheField) {
  LiveAttribution live = online();
  const nlohmann::json bad = nlohmann::json::parse(
      R"([{"gpu_uuid": "GPU-a", "gpu_model": "x", "layout": "", "energy_j": 1,
           "instances": [{"gpu_i_id": 1, "profile": "1g.5gb", "energy_j": -5,
                          "static_energy_j": 0, "dynamic_energy_j": 0}], "model": null}])");
  try {
    live.load_state(bad, "state.json: cards");
    FAIL() << "a negative energy was accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("state.json: cards[0].instances[0].energy_j"),
              std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace migpower
