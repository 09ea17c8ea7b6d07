#include "trace/process_reader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "trace/process_writer.hpp"

namespace migpower {
namespace {

constexpr const char* kHeader =
    "timestamp,gpu_uuid,gpu_i_id,pid,process_name,sm_util_pct,mem_util_pct,used_memory_bytes\n";

class ProcessReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-process-reader-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes `text` to p.csv in the test's folder and returns its path.
  [[nodiscard]] std::string file(const std::string& text) const {
    const std::string path = (dir_ / "p.csv").string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  // The message of the LocatedError that reading all of `text` throws.
  [[nodiscard]] LocatedError error_of(const std::string& text) const {
    try {
      ProcessReader reader(file(text));
      reader.finish();
    } catch (const LocatedError& error) {
      return error;
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return LocatedError("", 0, "", "");
  }

  std::filesystem::path dir_;
};

TEST_F(ProcessReaderTest, ReadsWhatTheWriterWrites) {
  std::ostringstream out;
  {
    ProcessWriter writer(out);
    ProcessSample full;
    full.timestamp_text = "1767225600.000";
    full.gpu_uuid = "GPU-a";
    full.pid = 1001;
    full.name = "serve \"v2\", fast\nline two";  // a comma, quotes and a line break
    full.sm_util_pct = 37.5;
    full.mem_util_pct = 0.0;
    full.used_memory_bytes = 1073741824ULL;
    ProcessSample mig;
    mig.timestamp_text = "1767225600.000";
    mig.gpu_uuid = "GPU-b";
    mig.gpu_i_id = 13;
    mig.pid = 42;
    const std::vector<ProcessSample> frame = {full, mig};
    writer.write(frame);
  }
  ProcessReader reader(file(out.str()));
  const auto a = reader.at(1767225600.0, "GPU-a");
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].timestamp_s, 1767225600.0);
  EXPECT_EQ(a[0].timestamp_text, "1767225600.000");
  EXPECT_EQ(a[0].gpu_uuid, "GPU-a");
  EXPECT_FALSE(a[0].gpu_i_id.has_value());
  EXPECT_EQ(a[0].pid, 1001u);
  EXPECT_EQ(a[0].name, "serve \"v2\", fast\nline two");
  EXPECT_EQ(a[0].sm_util_pct, 37.5);
  EXPECT_EQ(a[0].mem_util_pct, 0.0);
  EXPECT_EQ(a[0].used_memory_bytes, 1073741824ULL);
  const auto b = reader.at(1767225600.0, "GPU-b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].gpu_i_id, 13);
  EXPECT_EQ(b[0].pid, 42u);
  EXPECT_EQ(b[0].name, "");
  EXPECT_FALSE(b[0].sm_util_pct.has_value());
  EXPECT_FALSE(b[0].mem_util_pct.has_value());
  EXPECT_FALSE(b[0].used_memory_bytes.has_value());
  reader.finish();
  EXPECT_EQ(reader.rows_read(), 2u);
  EXPECT_EQ(reader.rows_matched(), 2u);
  EXPECT_EQ(reader.rows_unmatched(), 0u);
}

TEST_F(ProcessReaderTest, MatchesTheHeaderByName) {
  // Any order, an unknown column, the optional ones missing, a BOM and CRLF line ends.
  ProcessReader reader(
      file("\xEF\xBB\xBFpid,host,sm_util_pct,gpu_uuid,timestamp\r\n7,node1,12.5,GPU-a,10.5\r\n"));
  const auto rows = reader.at(10.5, "GPU-a");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].pid, 7u);
  EXPECT_EQ(rows[0].sm_util_pct, 12.5);
  EXPECT_FALSE(rows[0].gpu_i_id.has_value());
  EXPECT_EQ(rows[0].name, "");
}

TEST_F(ProcessReaderTest, HeaderErrors) {
  try {
    ProcessReader reader(file("timestamp,gpu_uuid,process_name\n1,GPU-a,x\n"));
    ADD_FAILURE() << "no error";
  } catch (const LocatedError& error) {
    EXPECT_EQ(error.line(), 1u);
    EXPECT_NE(std::string(error.what()).find("no pid column"), std::string::npos) << error.what();
  }
  try {
    ProcessReader reader(file("timestamp,gpu_uuid,pid,pid\n"));
    ADD_FAILURE() << "no error";
  } catch (const LocatedError& error) {
    EXPECT_EQ(error.column(), "pid");
    EXPECT_EQ(error.reason(), "duplicate column name");
  }
  EXPECT_THROW({ ProcessReader reader(file("")); }, InputError);
  EXPECT_THROW({ ProcessReader reader((dir_ / "missing.csv").string()); }, InputError);
}

TEST_F(ProcessReaderTest, ErrorsNameFileLineAndColumn) {
  const std::string head = std::string(kHeader) + "1.0,GPU-a,,1,a,10,,\n";
  struct Case {
    std::string row;
    std::size_t line;
    std::string column;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"2.0,GPU-a,,1,a,x,,\n", 3, "sm_util_pct", "'x' is not a number"},
      {"2.0,GPU-a,,1,a,100.5,,\n", 3, "sm_util_pct", "'100.5' is outside 0..100"},
      {"2.0,GPU-a,,1,a,,-1,\n", 3, "mem_util_pct", "'-1' is outside 0..100"},
      {"2.0,GPU-a,,1,a,nan,,\n", 3, "sm_util_pct", "NaN is not a valid value"},
      {"2.0,GPU-a,,abc,a,,,\n", 3, "pid", "'abc' is not a process id (a non-negative integer)"},
      {"2.0,GPU-a,,,a,,,\n", 3, "pid", "empty pid"},
      {"2.0,GPU-a,-2,1,a,,,\n", 3, "gpu_i_id", "'-2' is not a non-negative integer"},
      {"2.0,GPU-a,,1,a,,,1.5\n", 3, "used_memory_bytes", "'1.5' is not a non-negative integer"},
      {"2.0,,,1,a,,,\n", 3, "gpu_uuid", "empty gpu_uuid"},
      {"soon,GPU-a,,1,a,,,\n", 3, "timestamp", "'soon' is not a number"},
      {"inf,GPU-a,,1,a,,,\n", 3, "timestamp", "'inf' is not finite"},
      {"2.0,GPU-a,,1,a,,\n", 3, "used_memory_bytes", "expected 8 cells as in the header, found 7"},
      // Time goes backwards: named at the row that goes back.
      {"2.0,GPU-a,,1,a,,,\n0.5,GPU-a,,1,a,,,\n", 4, "timestamp",
       "time goes backwards: 0.5 is earlier than the previous row's timestamp 2.0"},
      // The same process twice in one frame.
      {"2.0,GPU-a,3,1,a,,,\n2.0,GPU-a,3,1,b,,,\n", 4, "pid",
       "pid 1 of GPU GPU-a instance 3 appears twice at timestamp 2.0 (lines 3 and 4)"},
      // A quoted name with a line break moves the next record's line.
      {"2.0,GPU-a,,1,\"two\nlines\",,,\n3.0,GPU-a,,1,a,x,,\n", 5, "sm_util_pct",
       "'x' is not a number"},
  };
  for (const Case& c : cases) {
    const LocatedError error = error_of(head + c.row);
    EXPECT_EQ(error.file(), (dir_ / "p.csv").string()) << c.row;
    EXPECT_EQ(error.line(), c.line) << c.row;
    EXPECT_EQ(error.column(), c.column) << c.row;
    EXPECT_EQ(error.reason(), c.reason) << c.row;
  }
  // The whole message, as the CLI prints it.
  const LocatedError error = error_of(head + "2.0,GPU-a,,1,a,x,,\n");
  EXPECT_STREQ(error.what(),
               ((dir_ / "p.csv").string() + ":3: column sm_util_pct: 'x' is not a number").c_str());
}

TEST_F(ProcessReaderTest, UnclosedQuoteIsAnError) {
  const LocatedError error = error_of(std::string(kHeader) + "1.0,GPU-a,,1,\"open,,,\n");
  EXPECT_EQ(error.line(), 2u);
  EXPECT_EQ(error.reason(), "a quoted cell is never closed");
}

TEST_F(ProcessReaderTest, MergeJoinSkipsAndCountsRowsNoFrameAskedFor) {
  ProcessReader reader(file(std::string(kHeader) +
                            "1.0,GPU-a,,1,a,,,\n"
                            "1.0,GPU-b,,2,b,,,\n"  // GPU-b is never asked for
                            "2.0,GPU-a,,1,a,,,\n"
                            "2.0,GPU-a,,3,c,,,\n"
                            "3.0,GPU-a,,1,a,,,\n"  // no frame at 3.0
                            "4.0,GPU-a,,1,a,,,\n"
                            "6.0,GPU-a,,1,a,,,\n"));  // after the last frame
  ASSERT_EQ(reader.at(1.0, "GPU-a").size(), 1u);
  EXPECT_EQ(reader.at(1.5, "GPU-a").size(), 0u);  // a frame without process rows
  // Equal to within 1e-6 s: the same frame.
  const auto two = reader.at(2.0000004, "GPU-a");
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].pid, 1u);
  EXPECT_EQ(two[1].pid, 3u);
  EXPECT_EQ(reader.rows_unmatched(), 1u);  // GPU-b's row at 1.0
  EXPECT_EQ(reader.at(2.0, "GPU-b").size(), 0u);
  const auto four = reader.at(4.0, "GPU-a");
  ASSERT_EQ(four.size(), 1u);
  EXPECT_EQ(four[0].timestamp_text, "4.0");
  EXPECT_EQ(reader.rows_unmatched(), 2u);  // and the row at 3.0
  EXPECT_EQ(reader.at(5.0, "GPU-a").size(), 0u);
  reader.finish();
  EXPECT_EQ(reader.rows_read(), 7u);
  EXPECT_EQ(reader.rows_matched(), 4u);
  EXPECT_EQ(reader.rows_unmatched(), 3u);
  ASSERT_EQ(reader.gpus().size(), 2u);
  EXPECT_EQ(reader.gpus()[0].gpu_uuid, "GPU-a");
  EXPECT_EQ(reader.gpus()[0].rows, 6u);
  EXPECT_EQ(reader.gpus()[0].matched, 4u);
  EXPECT_EQ(reader.gpus()[1].gpu_uuid, "GPU-b");
  EXPECT_EQ(reader.gpus()[1].rows, 1u);
  EXPECT_EQ(reader.gpus()[1].matched, 0u);
  EXPECT_EQ(reader.at(6.0, "GPU-a").size(), 0u);  // finished
}

TEST_F(ProcessReaderTest, RowsOfOneFrameComeSortedWhateverTheirOrder) {
  ProcessReader reader(file(std::string(kHeader) + "1.0,GPU-b,,9,x,,,\n"
                                                   "1.0,GPU-a,2,5,y,,,\n"
                                                   "1.0,GPU-a,1,8,z,,,\n"
                                                   "1.0,GPU-a,1,4,w,,,\n"));
  const auto a = reader.at(1.0, "GPU-a");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].name, "w");
  EXPECT_EQ(a[1].name, "z");
  EXPECT_EQ(a[2].name, "y");
  const auto b = reader.at(1.0, "GPU-b");
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].pid, 9u);
  // Asking twice for one frame takes its rows once.
  EXPECT_EQ(reader.at(1.0, "GPU-a").size(), 3u);
  reader.finish();
  EXPECT_EQ(reader.rows_matched(), 4u);
  EXPECT_EQ(reader.rows_unmatched(), 0u);
}

TEST_F(ProcessReaderTest, TheSamePidInTwoInstancesIsNoDuplicate) {
  ProcessReader reader(file(std::string(kHeader) + "1.0,GPU-a,1,5,a,,,\n1.0,GPU-a,2,5,a,,,\n"));
  EXPECT_EQ(reader.at(1.0, "GPU-a").size(), 2u);
}

}  // namespace
}  // namespace migpower
