// Rows out of time order, repeated rows, and GPUs that share timestamps.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/run_command.hpp"
#include "faults/fault_traces.hpp"

namespace migpower::faults {
namespace {

double card_energy(const PipelineRun& run, const std::string& uuid) {
  const CardEnergy* card = find_card(run.ledger, uuid);
  return card != nullptr ? card->energy_j : -1.0;
}

// Instants 100, 101, 102 (lines 2-16), one going back to 101.5 (lines 17-21), then 103.
std::string backwards_trace() {
  return kHeader + instant(100, "GPU-a", 200.0) + instant(101, "GPU-a", 210.0) +
         instant(102, "GPU-a", 220.0) + instant(101.5, "GPU-a", 999.0) +
         instant(103, "GPU-a", 230.0);
}

TEST(RowOrder, TimeGoingBackwardsStrictNamesTheRow) {
  TempDir dir;
  const PipelineRun run = run_trace(dir.write("back.csv", backwards_trace()), false);
  ASSERT_TRUE(run.error.has_value());
  EXPECT_EQ(run.error_line, 17u);
  EXPECT_EQ(run.error_column, "timestamp");
  EXPECT_NE(run.error->find("time goes backwards"), std::string::npos) << *run.error;
  EXPECT_EQ(run.timestamps, (std::vector<double>{100, 101}));
  EXPECT_TRUE(near(card_energy(run, "GPU-a"), 210.0));
  expect_conserved(run.ledger);
}

TEST(RowOrder, TimeGoingBackwardsLenientSkipsTheWholeInstant) {
  TempDir dir;
  const PipelineRun run = run_trace(dir.write("back.csv", backwards_trace()), true);
  EXPECT_FALSE(run.error.has_value()) << *run.error;
  EXPECT_EQ(run.rows_skipped, 5u);  // the card row and its four instance rows
  EXPECT_EQ(run.timestamps, (std::vector<double>{100, 101, 102, 103}));
  const Expected expected =
      integrate({{100, 200, {}}, {101, 210, {}}, {102, 220, {}}, {103, 230, {}}});
  EXPECT_TRUE(near(card_energy(run, "GPU-a"), expected.energy_j));  // the 999 W never counts
  expect_conserved(run.ledger);
}

TEST(RowOrder, DuplicateCardRowStrictFailsLenientKeepsTheFirst) {
  TempDir dir;
  // The instant at 101 is written twice, the second time with another power.
  const std::string trace = kHeader + instant(100, "GPU-a", 200.0) + instant(101, "GPU-a", 210.0) +
                            instant(101, "GPU-a", 500.0) + instant(102, "GPU-a", 220.0);
  const std::string path = dir.write("dup.csv", trace);
  const PipelineRun strict = run_trace(path, false);
  ASSERT_TRUE(strict.error.has_value());
  EXPECT_EQ(strict.error_line, 12u);
  EXPECT_EQ(strict.error_column, "gpu_uuid");
  EXPECT_NE(strict.error->find("second card row"), std::string::npos) << *strict.error;

  const PipelineRun lenient = run_trace(path, true);
  EXPECT_FALSE(lenient.error.has_value());
  EXPECT_EQ(lenient.rows_skipped, 5u);  // its instance rows repeat ids of the first
  EXPECT_EQ(lenient.timestamps, (std::vector<double>{100, 101, 102}));
  EXPECT_TRUE(near(card_energy(lenient, "GPU-a"), 210.0 + 220.0));
  expect_conserved(lenient.ledger);
  for (const Slot& s : kMixed) {
    const auto found = find_instances(lenient.ledger, "GPU-a", s.id, s.profile);
    ASSERT_EQ(found.size(), 1u) << s.id;
    EXPECT_EQ(found[0]->frames, 3u) << s.id;  // not double counted
  }
}

TEST(RowOrder, DuplicateInstanceInOneFrame) {
  TempDir dir;
  std::string trace = kHeader + instant(100, "GPU-a", 200.0);
  trace += instant(101, "GPU-a", 210.0) + instance_row(101, "GPU-a", 2, "2g.10gb", 0.9);
  trace += instant(102, "GPU-a", 220.0);
  const std::string path = dir.write("dupi.csv", trace);
  const PipelineRun strict = run_trace(path, false);
  ASSERT_TRUE(strict.error.has_value());
  EXPECT_EQ(strict.error_line, 12u);
  EXPECT_EQ(strict.error_column, "gpu_i_id");
  EXPECT_NE(strict.error->find("appears twice"), std::string::npos) << *strict.error;

  const PipelineRun lenient = run_trace(path, true);
  EXPECT_EQ(lenient.rows_skipped, 1u);
  EXPECT_EQ(lenient.timestamps.size(), 3u);
  EXPECT_TRUE(near(card_energy(lenient, "GPU-a"), 430.0));
  expect_conserved(lenient.ledger);
  EXPECT_EQ(find_instances(lenient.ledger, "GPU-a", 2, "2g.10gb").at(0)->frames, 3u);
}

TEST(RowOrder, TwoGpusInterleavedAtTheSameTimestamps) {
  TempDir dir;
  // Both cards' rows at each instant, mixed: card a, card b, then their instances alternating.
  std::string trace = kHeader;
  const std::vector<Reading> a = {{100, 200, 1000}, {101, 260, 231000}, {102, 240, 480000}};
  const std::vector<Reading> b = {{100, 90, {}}, {101, 120, {}}, {102, 70, {}}};
  for (std::size_t k = 0; k < a.size(); ++k) {
    const double t = a[k].t;
    trace += card_row(t, "GPU-a", a[k].power_w, a[k].energy_mj);
    trace += card_row(t, "GPU-b", b[k].power_w, b[k].energy_mj);
    for (const Slot& s : kMixed) {
      trace += instance_row(t, "GPU-b", s.id, s.profile, 1.0 - s.gr);
      trace += instance_row(t, "GPU-a", s.id, s.profile, s.gr);
    }
  }
  const PipelineRun run = run_trace(dir.write("two.csv", trace), false);
  ASSERT_FALSE(run.error.has_value()) << *run.error;
  ASSERT_EQ(run.ledger.cards().size(), 2u);
  const Expected ea = integrate(a);
  const Expected eb = integrate(b);
  EXPECT_TRUE(near(card_energy(run, "GPU-a"), ea.energy_j));
  EXPECT_TRUE(near(card_energy(run, "GPU-b"), eb.energy_j));
  EXPECT_EQ(find_card(run.ledger, "GPU-a")->counter_intervals, 2u);
  EXPECT_EQ(find_card(run.ledger, "GPU-b")->power_intervals, 2u);
  EXPECT_EQ(run.ledger.instances().size(), 8u);
  expect_conserved(run.ledger);
}

// A source that bypasses the reader: the ledger is the last line of defence.
TEST(RowOrder, LedgerRejectsAFrameGoingBackAndKeepsWhatItHad) {
  PipelineRun run;
  VectorSource source({make_frame(100, "GPU-a", 200.0), make_frame(101, "GPU-a", 210.0),
                       make_frame(100.5, "GPU-a", 999.0), make_frame(102, "GPU-a", 220.0)});
  drain(source, run);
  ASSERT_TRUE(run.error.has_value());
  EXPECT_NE(run.error->find("out of time order"), std::string::npos) << *run.error;
  EXPECT_TRUE(near(card_energy(run, "GPU-a"), 210.0));
  expect_conserved(run.ledger);
}

TEST(RowOrder, RepeatedFrameFromASourceAddsNoEnergy) {
  PipelineRun run;
  VectorSource source({make_frame(100, "GPU-a", 200.0, 0.0), make_frame(101, "GPU-a", 210.0, 205e3),
                       make_frame(101, "GPU-a", 210.0, 205e3), make_frame(102, "GPU-a", 220.0)});
  drain(source, run);
  ASSERT_FALSE(run.error.has_value()) << *run.error;
  // 205 J from the counter, 0 for the repeat (dt = 0), 220 J from power.
  EXPECT_TRUE(near(card_energy(run, "GPU-a"), 205.0 + 220.0));
  expect_conserved(run.ledger);
}

TEST(RowOrder, CommandLineNamesTheBackwardsRow) {
  TempDir dir;
  const std::string path = dir.write("back.csv", backwards_trace());
  const auto result = test::run_migpower("attribute " + path);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find(path + ":17: column timestamp: time goes backwards"), std::string::npos)
      << result.err;
  const auto lenient = test::run_migpower("attribute " + path + " --lenient");
  EXPECT_EQ(lenient.exit_code, 0) << lenient.err;
  EXPECT_NE(lenient.err.find("skipped 5 of 25 rows"), std::string::npos) << lenient.err;
}

}  // namespace
}  // namespace migpower::faults
