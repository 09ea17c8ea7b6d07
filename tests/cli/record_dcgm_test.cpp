// `migpower record --source dcgm` and `migpower sources` end to end, on the fake DCGM library
// (tests/fakes/fake_dcgm.cpp) with a MIG layout, then `migpower attribute` on the recording.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_command.hpp"

namespace migpower {
namespace {

using test::run_migpower;

// An A100-40GB split 4g.20gb + 3g.20gb; the fake's values stay at their first step, since
// nothing advances it from outside the recorder.
constexpr const char* kScenario = R"({
  "host_engines": ["localhost"],
  "gpus": [{
    "uuid": "GPU-dcgm-aaaa", "name": "NVIDIA A100-SXM4-40GB",
    "values": {"155": 212.5, "156": 5000000, "100": 1410, "101": 1215, "150": 44, "160": 400.0},
    "instances": [
      {"gi_id": 1, "profile": "4g.20gb", "profile_id": 3, "slices": 4,
       "values": {"1001": 0.25, "1002": 0.2, "252": 512}},
      {"gi_id": 2, "profile": "3g.20gb", "profile_id": 2, "slices": 3,
       "values": {"1001": 0.75, "1002": 0.6, "1004": 0.5, "1005": 0.3, "252": 10240}}]}]})";

class RecordDcgmTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-record-dcgm-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    std::ofstream(path("scenario.json")) << kScenario;
    ::setenv("MIGPOWER_DCGM_LIBRARY", MIGPOWER_FAKE_DCGM, 1);
    ::setenv("MIGPOWER_FAKE_DCGM_SCENARIO", path("scenario.json").c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("MIGPOWER_DCGM_LIBRARY");
    ::unsetenv("MIGPOWER_FAKE_DCGM_SCENARIO");
    std::filesystem::remove_all(dir_);
  }

  [[nodiscard]] std::string path(const std::string& name) const { return (dir_ / name).string(); }

  std::filesystem::path dir_;
};

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST_F(RecordDcgmTest, RecordsTheCardAndItsInstancesThenAttributes) {
  const auto record = run_migpower("record --source dcgm --interval 100ms --duration 300ms --out " +
                                   path("trace.csv"));
  ASSERT_EQ(record.exit_code, 0) << record.err;
  EXPECT_NE(record.err.find("recorded 3 frames of 1 GPU from dcgm"), std::string::npos)
      << record.err;
  const std::vector<std::string> rows = lines(test::read_file(path("trace.csv")));
  ASSERT_EQ(rows.size(), 1U + 3U * 3U);  // header, then per tick a card row and two instances
  EXPECT_NE(rows[1].find("GPU-dcgm-aaaa,NVIDIA A100-SXM4-40GB,,,,,212.5,"), std::string::npos)
      << rows[1];
  EXPECT_NE(rows[2].find(",1,4g.20gb,"), std::string::npos) << rows[2];
  EXPECT_NE(rows[3].find(",2,3g.20gb,"), std::string::npos) << rows[3];

  const auto attribute = run_migpower("attribute " + path("trace.csv"));
  EXPECT_EQ(attribute.exit_code, 0) << attribute.err;
}

TEST_F(RecordDcgmTest, ConnectsToAHostEngineByAddress) {
  const auto ok = run_migpower(
      "record --source dcgm=localhost --interval 100ms --duration 100ms "
      "--out " +
      path("trace.csv"));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  const auto down =
      run_migpower("record --source dcgm=10.9.9.9:5555 --duration 1s --out " + path("other.csv"));
  EXPECT_EQ(down.exit_code, 1);
  EXPECT_NE(down.err.find("dcgmConnect(10.9.9.9:5555): no connection to the DCGM host engine (is "
                          "nv-hostengine running and reachable?)"),
            std::string::npos)
      << down.err;
}

TEST_F(RecordDcgmTest, RefusesAnIntervalBelow100Milliseconds) {
  const auto result =
      run_migpower("record --source dcgm --interval 50ms --duration 1s --out " + path("trace.csv"));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("interval 50 ms is too short"), std::string::npos) << result.err;
}

TEST_F(RecordDcgmTest, EmptyHostEngineAddressIsAUsageError) {
  const auto result = run_migpower("record --source dcgm= --out " + path("trace.csv"));
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("needs the host engine's address"), std::string::npos) << result.err;
}

TEST_F(RecordDcgmTest, SourcesListsTheDcgmView) {
  const auto result = run_migpower("sources");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("dcgm: available (" + std::string(MIGPOWER_FAKE_DCGM) +
                            ", embedded host engine)"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("GPU GPU-dcgm-aaaa  NVIDIA A100-SXM4-40GB  MIG on"), std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("DCGM field 1004 per GPU instance, watched"), std::string::npos);
  EXPECT_NE(result.out.find("DCGM_FI_PROF_PIPE_FP64_ACTIVE         no   not supported"),
            std::string::npos)
      << result.out;
}

TEST_F(RecordDcgmTest, SourcesSaysWhyDcgmIsUnavailable) {
  ::setenv("MIGPOWER_DCGM_LIBRARY", "/nonexistent/libdcgm.so.4", 1);
  const auto result = run_migpower("sources");
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("dcgm: unavailable (dcgm: /nonexistent/libdcgm.so.4 not found"),
            std::string::npos)
      << result.out;
}

}  // namespace
}  // namespace migpower
