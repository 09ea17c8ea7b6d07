// The MIG layout changing mid-trace: instances destroyed and created, ids reused.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/run_command.hpp"
#include "faults/fault_traces.hpp"

namespace migpower::faults {
namespace {

const std::vector<Slot> kSevenSmall = {{1, "1g.5gb", 0.1}, {2, "1g.5gb", 0.2}, {3, "1g.5gb", 0.3},
                                       {4, "1g.5gb", 0.4}, {5, "1g.5gb", 0.5}, {6, "1g.5gb", 0.6},
                                       {7, "1g.5gb", 0.7}};
const std::vector<Slot> kTwoLarge = {{1, "4g.20gb", 0.9}, {2, "3g.20gb", 0.1}};

struct Phase {
  double first_t;
  double power_w;
  const std::vector<Slot>* layout;
  int frames;
};
// 3g+2g+1g+1g -> 7 x 1g -> 4g+3g -> 3g+2g+1g+1g again, ids 1 and 2 reused with new profiles.
const std::vector<Phase> kPhases = {{100, 210, &kMixed, 3},
                                    {103, 140, &kSevenSmall, 3},
                                    {106, 350, &kTwoLarge, 3},
                                    {109, 70, &kMixed, 2}};

std::string layout_trace(bool with_counter) {
  std::string trace = kHeader;
  double counter_mj = 1e6;
  for (const Phase& p : kPhases) {
    for (int k = 0; k < p.frames; ++k) {
      counter_mj += (p.power_w + 3.0) * 1000.0;
      trace += instant(p.first_t + k, "GPU-a", p.power_w,
                       with_counter ? std::optional<double>(counter_mj) : std::nullopt, *p.layout);
    }
  }
  return trace;
}

// The energies of every entry with this id and profile, oldest first.
std::vector<double> energies(const EnergyLedger& ledger, int id, const std::string& profile) {
  std::vector<double> out;
  for (const InstanceEnergy* e : find_instances(ledger, "GPU-a", id, profile)) {
    out.push_back(e->energy_j);
  }
  return out;
}

void expect_energies(const EnergyLedger& ledger, int id, const std::string& profile,
                     const std::vector<double>& expected) {
  const std::vector<double> found = energies(ledger, id, profile);
  ASSERT_EQ(found.size(), expected.size()) << id << " " << profile;
  for (std::size_t i = 0; i < found.size(); ++i) {
    EXPECT_TRUE(near(found[i], expected[i]))
        << id << " " << profile << " #" << i << ": " << found[i] << " vs " << expected[i];
  }
}

TEST(LayoutChange, EachInstanceIsBilledOnlyWhileItExists) {
  TempDir dir;
  // Split by slices (static and dynamic): instance i's share is P x slices_i / 7, easy to check.
  const PipelineRun run = run_trace(dir.write("layout.csv", layout_trace(false)), false, 2,
                                    {SplitMethod::slices, IdlePolicy::slices, Activity::gr_engine});
  ASSERT_FALSE(run.error.has_value()) << *run.error;
  const CardEnergy& card = run.ledger.cards().at(0);
  // Each interval at the power of the frame that ends it: 2 x 210 + 3 x 140 + 3 x 350 + 2 x 70.
  EXPECT_TRUE(near(card.energy_j, 2030.0));
  expect_conserved(run.ledger);
  // The interval that ends with a new layout's first frame is the new layout's (the convention
  // of docs/attribution.md: the frame that ends an interval splits it).
  expect_energies(run.ledger, 1, "3g.20gb", {2 * 210 * 3.0 / 7, 2 * 70 * 3.0 / 7});
  expect_energies(run.ledger, 2, "2g.10gb", {2 * 210 * 2.0 / 7, 2 * 70 * 2.0 / 7});
  expect_energies(run.ledger, 1, "1g.5gb", {3 * 20.0});  // id 1 reused as a 1g
  expect_energies(run.ledger, 2, "1g.5gb", {3 * 20.0});
  // Ids 3 and 4 hold a 1g.5gb before, during and after: one entry each, as the ledger cannot
  // tell a destroyed-and-recreated 1g from one that stayed (docs/faults.md).
  expect_energies(run.ledger, 3, "1g.5gb", {2 * 30.0 + 3 * 20.0 + 2 * 10.0});
  expect_energies(run.ledger, 4, "1g.5gb", {2 * 30.0 + 3 * 20.0 + 2 * 10.0});
  for (const int id : {5, 6, 7}) expect_energies(run.ledger, id, "1g.5gb", {3 * 20.0});
  expect_energies(run.ledger, 1, "4g.20gb", {3 * 200.0});
  expect_energies(run.ledger, 2, "3g.20gb", {3 * 150.0});
  EXPECT_EQ(run.ledger.instances().size(), 13u);
  // Frames held: the first 3g.20gb saw only the first phase.
  EXPECT_EQ(find_instances(run.ledger, "GPU-a", 1, "3g.20gb").at(0)->frames, 3u);
  EXPECT_EQ(find_instances(run.ledger, "GPU-a", 3, "1g.5gb").at(0)->frames, 3u + 3u + 2u);
}

TEST(LayoutChange, ConservedWithTheCounterAndTheDefaultSplit) {
  TempDir dir;
  const PipelineRun run = run_trace(dir.write("layout.csv", layout_trace(true)), false);
  ASSERT_FALSE(run.error.has_value()) << *run.error;
  const CardEnergy& card = run.ledger.cards().at(0);
  EXPECT_EQ(card.counter_intervals, 10u);
  EXPECT_TRUE(near(card.energy_j, 2030.0 + 10 * 3.0));
  expect_conserved(run.ledger);
}

TEST(LayoutChange, CommandLineListsEveryEntryAndConserves) {
  TempDir dir;
  const std::string path = dir.write("layout.csv", layout_trace(false));
  const auto result = test::run_migpower("attribute " + path + " --format json");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto card = nlohmann::json::parse(result.out)["cards"].at(0);
  EXPECT_EQ(card["instances"].size(), 13u);
  double parts = card["unattributed_j"].get<double>();
  for (const auto& instance : card["instances"]) parts += instance["energy_j"].get<double>();
  EXPECT_TRUE(near(parts, 2030.0));
  EXPECT_TRUE(near(card["energy_j"].get<double>(), 2030.0));
}

}  // namespace
}  // namespace migpower::faults
