// ProcessAttribution: the side file's rows matched to frames, split, integrated, and a warning for
// each kind of row that fit nothing (moved here from the CLI, which now only prints them).

#include "ledger/process_attribution.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "attribution/attributor.hpp"
#include "attribution/test_frames.hpp"
#include "ledger/energy_ledger.hpp"

namespace migpower {
namespace {

// Two frames of a full A100 40GB (MIG off: instance 0) at 100 s and 101 s, no energy counter.
Frame full_a100(double t, double power_w) {
  Frame f = testing::frame("GPU-a", "NVIDIA A100-SXM4-40GB", power_w, t);
  f.instances = {testing::instance(0, "", 0)};
  return f;
}

class ProcessAttributionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("migpower-process-attribution-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".csv");
  }
  void TearDown() override { std::filesystem::remove(path_); }

  void write(const std::string& text) const { std::ofstream(path_) << text; }

  // Attributes the two frames (power 100 W, then 200 W) with the side file, as `attribute` does.
  ProcessFileSummary run(ProcessAttribution& processes) {
    Attributor attributor(AttributionOptions{});
    FrameAttribution attribution;
    for (const Frame& frame : {full_a100(100.0, 100.0), full_a100(101.0, 200.0)}) {
      attributor.attribute(frame, attribution);
      energy_.add(frame, attribution);
      processes.add(frame, attribution, energy_);
    }
    return processes.finish(energy_);
  }

  std::filesystem::path path_;
  EnergyLedger energy_;
};

constexpr const char* kHeader =
    "timestamp,gpu_uuid,gpu_i_id,pid,process_name,sm_util_pct,mem_util_pct,used_memory_bytes\n";

TEST_F(ProcessAttributionTest, RowsOfEveryFrameMatchAndWarnNothing) {
  write(std::string(kHeader) + "100.000,GPU-a,,1,a,,,\n101.000,GPU-a,,1,a,,,\n");
  ProcessAttribution processes(path_.string());
  const ProcessFileSummary summary = run(processes);
  EXPECT_EQ(summary.rows, 2u);
  EXPECT_EQ(summary.rows_matched, 2u);
  EXPECT_EQ(summary.rows_unmatched, 0u);
  EXPECT_TRUE(processes.warnings().empty());
  // The only process holds all of its instance's energy, which is the card's (one interval).
  ASSERT_EQ(processes.ledger().processes().size(), 1u);
  ASSERT_EQ(processes.ledger().instances().size(), 1u);
  EXPECT_GT(processes.ledger().processes()[0].energy_j, 0.0);
  EXPECT_NEAR(processes.ledger().processes()[0].energy_j,
              processes.ledger().instances()[0].energy_j, 1e-9);
  EXPECT_NEAR(processes.ledger().instances()[0].unassigned_j, 0.0, 1e-9);
  EXPECT_EQ(processes.split().processes.size(), 1u);
}

TEST_F(ProcessAttributionTest, WarnsOnceForAGpuTheTraceNeverHas) {
  write(std::string(kHeader) + "100.000,GPU-a,,1,a,,,\n100.000,GPU-z,,7,z,,,\n" +
        "101.000,GPU-z,,7,z,,,\n");
  ProcessAttribution processes(path_.string());
  run(processes);
  ASSERT_EQ(processes.warnings().size(), 1u);
  EXPECT_EQ(processes.warnings()[0], path_.string() +
                                         " names GPU GPU-z, which the trace never has; ignoring "
                                         "its 2 rows");
}

TEST_F(ProcessAttributionTest, WarnsAboutRowsAtTimestampsWithoutAFrame) {
  write(std::string(kHeader) + "100.000,GPU-a,,1,a,,,\n100.500,GPU-a,,1,a,,,\n");
  ProcessAttribution processes(path_.string());
  const ProcessFileSummary summary = run(processes);
  EXPECT_EQ(summary.rows_unmatched, 1u);
  ASSERT_EQ(processes.warnings().size(), 1u);
  EXPECT_EQ(processes.warnings()[0],
            "1 row of " + path_.string() +
                " matched no frame of the trace (no frame of their GPU at their timestamp)");
}

TEST_F(ProcessAttributionTest, WarnsAboutProcessesInAnInstanceTheFrameLacks) {
  write(std::string(kHeader) + "100.000,GPU-a,5,1,a,,,\n101.000,GPU-a,5,1,a,,,\n");
  ProcessAttribution processes(path_.string());
  const ProcessFileSummary summary = run(processes);
  EXPECT_EQ(summary.processes_ignored, 2u);
  ASSERT_EQ(processes.warnings().size(), 1u);
  EXPECT_NE(processes.warnings()[0].find("2 rows of " + path_.string() + " fit no instance"),
            std::string::npos);
}

}  // namespace
}  // namespace migpower
