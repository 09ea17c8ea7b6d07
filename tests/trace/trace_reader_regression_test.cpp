// Traces the fuzzers (fuzz/trace_reader_fuzz) found to be mishandled; each test failed before
// its fix.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/frame.hpp"
#include "trace/trace_reader.hpp"

namespace migpower {
namespace {

namespace fs = std::filesystem;

class TraceReaderRegressionTest : public ::testing::Test {
 protected:
  void TearDown() override { fs::remove(path_); }

  const std::string& write(const std::string& text) {
    std::ofstream(path_, std::ios::binary) << text;
    return path_;
  }

 private:
  std::string path_ = (fs::temp_directory_path() /
                       ("trace_reader_regression_" + std::to_string(::getpid()) + ".csv"))
                          .string();
};

// A model not in the catalog takes its slices from the profile name; "2g.nangb" was read as a
// well-formed name (memory NaN GB) instead of being rejected.
TEST_F(TraceReaderRegressionTest, ProfileWithNanMemoryIsRejected) {
  const std::string& path = write(
      "timestamp,gpu_uuid,gpu_model,gpu_i_id,gpu_i_profile\n"
      "1,GPU-x,Some Future GPU,,\n"
      "1,GPU-x,,0,2g.nangb\n");
  TraceReader reader(path);
  Frame frame;
  try {
    (void)reader.next(frame);
    FAIL() << "no error for profile 2g.nangb";
  } catch (const LocatedError& e) {
    EXPECT_EQ(e.line(), 3U);
    EXPECT_EQ(e.column(), "gpu_i_profile");
  }
}

}  // namespace
}  // namespace migpower
