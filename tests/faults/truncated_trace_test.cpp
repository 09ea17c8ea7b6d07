// Traces cut short: by a crash of the recorder, a full disk, a copy still in progress.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/run_command.hpp"
#include "faults/fault_traces.hpp"

namespace migpower::faults {
namespace {

// Three complete instants (lines 2-16) of one A100 at 200, 210, 220 W.
std::string complete_part() {
  return kHeader + instant(100, "GPU-a", 200.0) + instant(101, "GPU-a", 210.0) +
         instant(102, "GPU-a", 220.0);
}

// The frames a run delivered were integrated as the contract says, and conserved.
void expect_counted(const PipelineRun& run, const std::vector<Reading>& all) {
  ASSERT_LE(run.timestamps.size(), all.size());
  const std::vector<Reading> delivered(all.begin(),
                                       all.begin() + static_cast<long>(run.timestamps.size()));
  const CardEnergy* card = find_card(run.ledger, "GPU-a");
  ASSERT_NE(card, nullptr);
  EXPECT_TRUE(near(card->energy_j, integrate(delivered).energy_j)) << card->energy_j;
  expect_conserved(run.ledger);
}

const std::vector<Reading> kReadings = {{100, 200, {}}, {101, 210, {}}, {102, 220, {}}};

TEST(TruncatedTrace, CutMidRowStrictStopsAtTheRowAfterCountingEarlierInstants) {
  TempDir dir;
  const std::string path = dir.write("cut.csv", complete_part() + "103,GPU-a,NVIDIA A100");
  const PipelineRun run = run_trace(path, false);
  ASSERT_TRUE(run.error.has_value());
  EXPECT_EQ(run.error_file, path);
  EXPECT_EQ(run.error_line, 17u);
  EXPECT_EQ(run.error_column, "gpu_i_id");  // the first missing cell
  EXPECT_NE(run.error->find("found 3"), std::string::npos) << *run.error;
  // The instants before the broken row's are delivered and counted; the instant still being
  // grouped (102) is not handed out, since the reader stops at the first bad row.
  EXPECT_EQ(run.timestamps, (std::vector<double>{100, 101}));
  expect_counted(run, kReadings);
}

TEST(TruncatedTrace, CutMidRowLenientSkipsAndCountsIt) {
  TempDir dir;
  const std::string path = dir.write("cut.csv", complete_part() + "103,GPU-a,NVIDIA A100");
  const PipelineRun run = run_trace(path, true);
  EXPECT_FALSE(run.error.has_value()) << *run.error;
  EXPECT_EQ(run.rows_skipped, 1u);
  EXPECT_EQ(run.timestamps, (std::vector<double>{100, 101, 102}));
  expect_counted(run, kReadings);
  EXPECT_TRUE(near(find_card(run.ledger, "GPU-a")->energy_j, 210.0 + 220.0));
}

TEST(TruncatedTrace, CutInsideAQuotedCell) {
  TempDir dir;
  // The last instance row of the last instant, cut inside its quoted workload label.
  const std::string path =
      dir.write("quote.csv", complete_part() + "102,GPU-a,,5,1g.5gb,\"llm, dec");
  const PipelineRun strict = run_trace(path, false);
  ASSERT_TRUE(strict.error.has_value());
  EXPECT_EQ(strict.error_line, 17u);
  EXPECT_EQ(strict.error_column, "workload");
  EXPECT_EQ(strict.timestamps, (std::vector<double>{100, 101}));
  expect_counted(strict, kReadings);

  const PipelineRun lenient = run_trace(path, true);
  EXPECT_FALSE(lenient.error.has_value());
  EXPECT_EQ(lenient.rows_skipped, 1u);
  EXPECT_EQ(lenient.timestamps, (std::vector<double>{100, 101, 102}));
  expect_counted(lenient, kReadings);
  EXPECT_TRUE(find_instances(lenient.ledger, "GPU-a", 5, "1g.5gb").empty());
}

TEST(TruncatedTrace, CutInsideTheHeaderIsALocatedHeaderError) {
  TempDir dir;
  for (const bool lenient : {false, true}) {  // header errors are never skipped
    const PipelineRun missing =
        run_trace(dir.write("h1.csv", "timestamp,gpu_uuid,gpu_mo"), lenient);
    ASSERT_TRUE(missing.error.has_value());
    EXPECT_EQ(missing.error_line, 1u);
    EXPECT_NE(missing.error->find("gpu_i_id"), std::string::npos) << *missing.error;
    EXPECT_TRUE(missing.timestamps.empty());

    const PipelineRun quoted =
        run_trace(dir.write("h2.csv", "timestamp,gpu_uuid,\"gpu_i_id"), lenient);
    ASSERT_TRUE(quoted.error.has_value());
    EXPECT_EQ(quoted.error_line, 1u);
    EXPECT_NE(quoted.error->find("bad header"), std::string::npos) << *quoted.error;
  }
}

TEST(TruncatedTrace, EmptyFileIsAnErrorAndHeaderOnlyIsNoFrames) {
  TempDir dir;
  const PipelineRun empty = run_trace(dir.write("empty.csv", ""), true);
  ASSERT_TRUE(empty.error.has_value());
  EXPECT_NE(empty.error->find("is empty"), std::string::npos) << *empty.error;

  for (const std::string& header : {kHeader, kHeader.substr(0, kHeader.size() - 1)}) {
    const PipelineRun run = run_trace(dir.write("header.csv", header), false);
    EXPECT_FALSE(run.error.has_value()) << *run.error;
    EXPECT_TRUE(run.timestamps.empty());
    EXPECT_TRUE(run.ledger.cards().empty());
  }
}

// The real binary: exit 1 with file:line: column in strict mode; in lenient mode every energy
// the complete rows hold, conserved, and a warning that counts the skipped row.
TEST(TruncatedTrace, CommandLineStrictAndLenient) {
  TempDir dir;
  const std::string path = dir.write("cut.csv", complete_part() + "103,GPU-a,NVIDIA A100");
  const auto strict = test::run_migpower("attribute " + path + " --format json");
  EXPECT_EQ(strict.exit_code, 1);
  EXPECT_NE(strict.err.find(path + ":17: column gpu_i_id:"), std::string::npos) << strict.err;

  const auto lenient = test::run_migpower("attribute " + path + " --format json --lenient");
  ASSERT_EQ(lenient.exit_code, 0) << lenient.err;
  EXPECT_NE(lenient.err.find("skipped 1 of 16 rows"), std::string::npos) << lenient.err;
  const auto doc = nlohmann::json::parse(lenient.out);
  ASSERT_EQ(doc["cards"].size(), 1u);
  const auto& card = doc["cards"][0];
  EXPECT_TRUE(near(card["energy_j"].get<double>(), integrate(kReadings).energy_j));
  double parts = card["unattributed_j"].get<double>();
  for (const auto& instance : card["instances"]) parts += instance["energy_j"].get<double>();
  EXPECT_TRUE(near(parts, card["energy_j"].get<double>()));

  const auto empty = test::run_migpower("attribute " + dir.write("e.csv", "") + " --lenient");
  EXPECT_EQ(empty.exit_code, 1);
  EXPECT_NE(empty.err.find("is empty"), std::string::npos) << empty.err;
}

}  // namespace
}  // namespace migpower::faults
