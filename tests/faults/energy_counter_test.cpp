// The card's energy counter misbehaving: driver reloads, wraps, gaps and glitches.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/run_command.hpp"
#include "faults/fault_traces.hpp"

namespace migpower::faults {
namespace {

enum class Source { counter, power };

struct Step {
  Reading reading;
  Source expected;  // what the interval ending here must be integrated from
};

// Counter deltas are power + 5 J, so which source an interval used shows in its energy.
const std::vector<Step> kSteps = {
    {{100, 200, 1'000'000}, Source::counter},      // opens the first interval
    {{101, 200, 1'205'000}, Source::counter},      // sane
    {{102, 210, 0}, Source::power},                // reset to 0: driver reload
    {{103, 220, 225'000}, Source::counter},        // counts on from the reset
    {{104, 200, std::nullopt}, Source::power},     // counter missing
    {{105, 200, 600'000}, Source::power},          // missing at the start of the interval
    {{106, 200, 805'000}, Source::counter},        // sane again
    {{107, 200, 5'000'805'000}, Source::power},    // jumps 5 MJ forward in a second
    {{108, 200, 5'001'010'000}, Source::counter},  // sane after the jump
    {{109, 190, 195'000}, Source::power},          // wraps: drops by almost all of it
    {{110, 200, 400'000}, Source::counter},        // sane after the wrap
};

std::string counter_trace() {
  std::string trace = kHeader;
  for (const Step& s : kSteps) {
    trace += instant(s.reading.t, "GPU-a", s.reading.power_w, s.reading.energy_mj);
  }
  return trace;
}

TEST(EnergyCounter, FallsBackToPowerForExactlyTheBrokenIntervals) {
  TempDir dir;
  TraceReader reader(dir.write("counter.csv", counter_trace()));
  PrefetchingSource source(reader, 3, 2);
  Attributor attributor(AttributionOptions{});
  EnergyLedger ledger;
  Frame frame;
  FrameAttribution attribution;
  std::size_t k = 0;
  while (source.next(frame)) {
    ASSERT_LT(k, kSteps.size());
    const CardEnergy before = ledger.cards().empty() ? CardEnergy{} : ledger.cards()[0];
    attributor.attribute(frame, attribution);
    ledger.add(frame, attribution);
    const CardEnergy& after = ledger.cards()[0];
    if (k > 0) {
      const Reading& a = kSteps[k - 1].reading;
      const Reading& b = kSteps[k].reading;
      const bool counter = kSteps[k].expected == Source::counter;
      EXPECT_EQ(after.counter_intervals - before.counter_intervals, counter ? 1u : 0u) << b.t;
      EXPECT_EQ(after.power_intervals - before.power_intervals, counter ? 0u : 1u) << b.t;
      const double interval =
          counter ? (*b.energy_mj - *a.energy_mj) / 1000.0 : b.power_w * (b.t - a.t);
      EXPECT_TRUE(near(after.energy_j - before.energy_j, interval)) << b.t;
      EXPECT_GE(after.energy_j, before.energy_j);
    }
    expect_conserved(ledger);
    ++k;
  }
  EXPECT_EQ(k, kSteps.size());
  const CardEnergy& card = ledger.cards().at(0);
  EXPECT_EQ(card.counter_intervals, 5u);
  EXPECT_EQ(card.power_intervals, 5u);
  EXPECT_TRUE(near(card.energy_j, 1045.0 + 1000.0));  // counter 5 x ~205, power 1000
}

TEST(EnergyCounter, TheContractRuleAgreesOnTheWholeTrace) {
  TempDir dir;
  const PipelineRun run = run_trace(dir.write("counter.csv", counter_trace()), false);
  ASSERT_FALSE(run.error.has_value()) << *run.error;
  std::vector<Reading> readings;
  for (const Step& s : kSteps) readings.push_back(s.reading);
  const Expected expected = integrate(readings);
  const CardEnergy& card = run.ledger.cards().at(0);
  EXPECT_TRUE(near(card.energy_j, expected.energy_j));
  EXPECT_EQ(card.counter_intervals, expected.counter_intervals);
  EXPECT_EQ(card.power_intervals, expected.power_intervals);
  expect_conserved(run.ledger);
}

// Values a reader would reject, straight from a source: they must not reach the energy.
TEST(EnergyCounter, NonFiniteOrNegativeCounterFromASourceFallsBackToPower) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  VectorSource inner({make_frame(100, "GPU-a", 200.0, 1e6), make_frame(101, "GPU-a", 200.0, nan),
                      make_frame(102, "GPU-a", 200.0, inf), make_frame(103, "GPU-a", 200.0, -5e6),
                      make_frame(104, "GPU-a", 200.0, 1.2e6)});
  PrefetchingSource source(inner, 2, 1);
  PipelineRun run;
  drain(source, run);
  ASSERT_FALSE(run.error.has_value()) << *run.error;
  const CardEnergy& card = run.ledger.cards().at(0);
  EXPECT_EQ(card.counter_intervals, 0u);  // -5e6 -> 1.2e6 mJ is 6.2 kJ in 1 s: implausible
  EXPECT_EQ(card.power_intervals, 4u);
  EXPECT_TRUE(near(card.energy_j, 800.0));
  expect_conserved(run.ledger);
}

TEST(EnergyCounter, CommandLineReportsWhichIntervalsUsedTheCounter) {
  TempDir dir;
  const std::string path = dir.write("counter.csv", counter_trace());
  const auto result = test::run_migpower("attribute " + path + " --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto card = nlohmann::json::parse(result.out)["cards"].at(0);
  EXPECT_EQ(card["counter_intervals"].get<int>(), 5);
  EXPECT_EQ(card["power_intervals"].get<int>(), 5);
  EXPECT_TRUE(near(card["energy_j"].get<double>(), 2045.0));
  double parts = card["unattributed_j"].get<double>();
  for (const auto& instance : card["instances"]) parts += instance["energy_j"].get<double>();
  EXPECT_TRUE(near(parts, 2045.0));
}

}  // namespace
}  // namespace migpower::faults
