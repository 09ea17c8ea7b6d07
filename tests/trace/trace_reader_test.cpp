#include "trace/trace_reader.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "trace/contract_header.hpp"

namespace migpower {
namespace {

namespace fs = std::filesystem;

constexpr const char* kHeader = test::kContractHeader;

// Rows in the full header's column order.
std::string card(const std::string& t, const std::string& uuid, const std::string& power = "250.5",
                 const std::string& model = "NVIDIA A100-SXM4-40GB") {
  return t + "," + uuid + "," + model + ",,,,," + power + ",123456789,1410,1215,55,400,,,,,,,,,\n";
}
std::string instance(const std::string& t, const std::string& uuid, const std::string& id,
                     const std::string& profile = "1g.5gb", const std::string& sm = "0.5") {
  return t + "," + uuid + ",," + id + "," + profile + ",train,30.25,,,,,,,0.75," + sm +
         ",0.25,0.125,0.0625,0,1,0.5,4096\n";
}

class TraceReaderTest : public ::testing::Test {
 protected:
  void TearDown() override {
    for (const auto& path : files_) fs::remove(path);
  }

  std::string write_file(const std::string& content) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    const fs::path path = fs::temp_directory_path() / ("migpower_" + std::string(info->name()) +
                                                       "_" + std::to_string(::getpid()) + "_" +
                                                       std::to_string(files_.size()) + ".csv");
    std::ofstream(path, std::ios::binary) << content;
    files_.push_back(path.string());
    return path.string();
  }

  std::vector<Frame> read_all(const std::string& content, TraceReaderOptions options = {}) {
    TraceReader reader(write_file(content), options);
    return drain(reader);
  }

  static std::vector<Frame> drain(TraceReader& reader) {
    std::vector<Frame> frames;
    Frame frame;
    while (reader.next(frame)) frames.push_back(frame);
    return frames;
  }

  // Reads `content` expecting a LocatedError at `line` and `column` whose reason mentions `what`.
  void expect_error(const std::string& content, std::size_t line, const std::string& column,
                    const std::string& what) {
    const std::string path = write_file(content);
    try {
      TraceReader reader(path);
      drain(reader);
      ADD_FAILURE() << "no error; expected line " << line << " column " << column;
    } catch (const LocatedError& error) {
      EXPECT_EQ(error.file(), path);
      EXPECT_EQ(error.line(), line) << error.what();
      EXPECT_EQ(error.column(), column) << error.what();
      EXPECT_NE(error.reason().find(what), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find(path + ":" + std::to_string(line) + ":"),
                std::string::npos)
          << error.what();
    }
  }

  std::vector<std::string> files_;
};

TEST_F(TraceReaderTest, ReadsCardAndInstanceRows) {
  const auto frames = read_all(std::string(kHeader) + card("1700000000.500", "GPU-a") +
                               instance("1700000000.500", "GPU-a", "7") +
                               instance("1700000000.500", "GPU-a", "9", "3g.20gb"));
  ASSERT_EQ(frames.size(), 1u);
  const Frame& f = frames[0];
  EXPECT_EQ(f.timestamp_text, "1700000000.500");  // the cell's exact text
  EXPECT_EQ(f.timestamp_s, 1700000000.5);
  EXPECT_EQ(f.gpu_uuid, "GPU-a");
  EXPECT_EQ(f.gpu_model, "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(f.power_w, 250.5);
  EXPECT_EQ(f.energy_mj, 123456789.0);
  EXPECT_EQ(f.sm_clock_mhz, 1410.0);
  EXPECT_EQ(f.mem_clock_mhz, 1215.0);
  EXPECT_EQ(f.temperature_c, 55.0);
  EXPECT_EQ(f.power_limit_w, 400.0);
  ASSERT_EQ(f.instances.size(), 2u);
  const InstanceSample& a = f.instances[0];
  EXPECT_EQ(a.gpu_i_id, 7);
  EXPECT_EQ(a.profile, "1g.5gb");
  EXPECT_EQ(a.compute_slices, 1);
  EXPECT_EQ(a.memory_slices, 1);
  EXPECT_EQ(a.workload, "train");
  EXPECT_EQ(a.truth_power_w, 30.25);
  EXPECT_EQ(a.get(Activity::gr_engine), 0.75);
  EXPECT_EQ(a.get(Activity::sm), 0.5);
  EXPECT_EQ(a.get(Activity::sm_occupancy), 0.25);
  EXPECT_EQ(a.get(Activity::tensor), 0.125);
  EXPECT_EQ(a.get(Activity::dram), 0.0625);
  EXPECT_EQ(a.get(Activity::fp64), 0.0);
  EXPECT_EQ(a.get(Activity::fp32), 1.0);
  EXPECT_EQ(a.get(Activity::fp16), 0.5);
  EXPECT_EQ(a.fb_used_mib, 4096.0);
  EXPECT_EQ(f.instances[1].gpu_i_id, 9);
  EXPECT_EQ(f.instances[1].compute_slices, 3);
  EXPECT_EQ(f.instances[1].memory_slices, 4);
}

TEST_F(TraceReaderTest, CompletesFramesWhenTimeMovesOnInOrderOfFirstAppearance) {
  // Two GPUs interleaved; at t=2 GPU-b shows up first.
  const auto frames =
      read_all(std::string(kHeader) + card("1", "GPU-a", "100") + card("1", "GPU-b", "200") +
               instance("1", "GPU-b", "1") + instance("1", "GPU-a", "2") +
               instance("1", "GPU-a", "3") + card("2", "GPU-b", "210") +
               instance("2", "GPU-b", "1") + card("2", "GPU-a", "110") + card("3", "GPU-a", "120"));
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[0].gpu_uuid, "GPU-a");
  EXPECT_EQ(frames[0].power_w, 100.0);
  ASSERT_EQ(frames[0].instances.size(), 2u);
  EXPECT_EQ(frames[0].instances[0].gpu_i_id, 2);
  EXPECT_EQ(frames[0].instances[1].gpu_i_id, 3);
  EXPECT_EQ(frames[1].gpu_uuid, "GPU-b");
  EXPECT_EQ(frames[1].instances.size(), 1u);
  EXPECT_EQ(frames[2].gpu_uuid, "GPU-b");
  EXPECT_EQ(frames[2].timestamp_s, 2.0);
  EXPECT_EQ(frames[2].power_w, 210.0);
  EXPECT_EQ(frames[3].gpu_uuid, "GPU-a");
  EXPECT_EQ(frames[3].power_w, 110.0);
  EXPECT_TRUE(frames[3].instances.empty());
  EXPECT_EQ(frames[4].timestamp_s, 3.0);
}

TEST_F(TraceReaderTest, ReusesTheCallersFrameWithoutKeepingStaleInstances) {
  TraceReader reader(write_file(std::string(kHeader) + card("1", "GPU-a") +
                                instance("1", "GPU-a", "1") + instance("1", "GPU-a", "2") +
                                card("2", "GPU-a") + instance("2", "GPU-a", "5") +
                                card("3", "GPU-a")));
  Frame frame;
  std::vector<std::size_t> sizes;
  std::vector<int> first_ids;
  while (reader.next(frame)) {
    sizes.push_back(frame.instances.size());
    first_ids.push_back(frame.instances.empty() ? -1 : frame.instances[0].gpu_i_id);
  }
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 1, 0}));
  EXPECT_EQ(first_ids, (std::vector<int>{1, 5, -1}));
  EXPECT_EQ(reader.rows_read(), 6u);
  EXPECT_FALSE(reader.next(frame));  // stays at the end
}

TEST_F(TraceReaderTest, SameInstantWhenTimestampValuesAreEqual) {
  const auto frames = read_all(std::string(kHeader) + card("1.0", "GPU-a") +
                               instance("1.00", "GPU-a", "1") + card("1.5", "GPU-a"));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].timestamp_text, "1.0");
  EXPECT_EQ(frames[0].instances.size(), 1u);
}

TEST_F(TraceReaderTest, MissingColumnsAndEmptyCellsAreMissingValues) {
  const auto frames = read_all(
      "timestamp,gpu_uuid,gpu_i_id,gpu_i_profile,DCGM_FI_DEV_POWER_USAGE,DCGM_FI_PROF_SM_ACTIVE\n"
      "10,GPU-a,,,,\n"
      "10,GPU-a,0,2g.10gb,,\n"
      "11,GPU-a,,,300,\n"
      "11,GPU-a,0,,,0.5\n");
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_FALSE(frames[0].power_w.has_value());
  EXPECT_FALSE(frames[0].energy_mj.has_value());
  EXPECT_FALSE(frames[0].temperature_c.has_value());
  EXPECT_TRUE(frames[0].gpu_model.empty());
  ASSERT_EQ(frames[0].instances.size(), 1u);
  const InstanceSample& a = frames[0].instances[0];
  EXPECT_EQ(a.compute_slices, 2);  // parsed from the name: no model to look up
  EXPECT_EQ(a.memory_slices, 0);
  EXPECT_FALSE(a.get(Activity::sm).has_value());
  EXPECT_FALSE(a.get(Activity::tensor).has_value());
  EXPECT_FALSE(a.fb_used_mib.has_value());
  EXPECT_FALSE(a.truth_power_w.has_value());
  EXPECT_TRUE(a.workload.empty());
  EXPECT_EQ(frames[1].power_w, 300.0);
  const InstanceSample& b = frames[1].instances[0];
  EXPECT_EQ(b.get(Activity::sm), 0.5);
  EXPECT_TRUE(b.profile.empty());
  EXPECT_EQ(b.compute_slices, 0);  // no profile: unknown
}

TEST_F(TraceReaderTest, ColumnsInAnyOrderAndUnknownColumnsIgnored) {
  const auto frames = read_all(
      "DCGM_FI_PROF_SM_ACTIVE,hostname,gpu_i_id,DCGM_FI_DEV_POWER_USAGE,gpu_uuid,pod,timestamp,"
      "gpu_model,gpu_i_profile,DCGM_FI_DEV_FB_FREE\n"
      ",node-1,,275,GPU-x,,5,NVIDIA H100 80GB HBM3,,not-a-number\n"
      "0.25,node-1,3,,GPU-x,my-pod,5,,1g.10gb,12\n");
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].power_w, 275.0);
  EXPECT_EQ(frames[0].timestamp_s, 5.0);
  EXPECT_EQ(frames[0].gpu_model, "NVIDIA H100 80GB HBM3");
  ASSERT_EQ(frames[0].instances.size(), 1u);
  EXPECT_EQ(frames[0].instances[0].gpu_i_id, 3);
  EXPECT_EQ(frames[0].instances[0].get(Activity::sm), 0.25);
  EXPECT_EQ(frames[0].instances[0].compute_slices, 1);
  EXPECT_EQ(frames[0].instances[0].memory_slices, 1);
}

TEST_F(TraceReaderTest, HeaderOnlyFileHasNoFrames) {
  TraceReader reader(write_file(kHeader));
  Frame frame;
  EXPECT_FALSE(reader.next(frame));
  EXPECT_EQ(reader.rows_read(), 0u);
  TraceReader without_newline(write_file("timestamp,gpu_uuid,gpu_i_id"));
  EXPECT_FALSE(without_newline.next(frame));
}

TEST_F(TraceReaderTest, SkipsEmptyLinesAndCountsThemInLineNumbers) {
  const std::string content = "\n" + std::string(kHeader) + "\n" + card("1", "GPU-a") + "\n\n" +
                              instance("1", "GPU-a", "1") + "\n";
  const auto frames = read_all(content);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].instances.size(), 1u);
  expect_error(content + card("1", "GPU-a"), 9, "gpu_uuid", "second card row");
}

TEST_F(TraceReaderTest, AcceptsCrlfLineEndingsAndAFinalLineWithoutNewline) {
  std::string content = std::string(kHeader) + card("1", "GPU-a") + instance("1", "GPU-a", "4");
  std::string crlf;
  for (const char c : content) {
    if (c == '\n') crlf += '\r';
    crlf += c;
  }
  crlf.pop_back();  // no newline after the last row
  const auto frames = read_all(crlf);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].gpu_uuid, "GPU-a");
  ASSERT_EQ(frames[0].instances.size(), 1u);
  EXPECT_EQ(frames[0].instances[0].fb_used_mib, 4096.0);  // no '\r' left on the last cell
}

TEST_F(TraceReaderTest, AcceptsQuotedCells) {
  const auto frames = read_all(
      "timestamp,gpu_uuid,gpu_i_id,gpu_i_profile,workload,DCGM_FI_DEV_POWER_USAGE\n"
      "\"1\",\"GPU-a\",,,,\"99.5\"\n"
      "1,GPU-a,1,1g.5gb,\"llm, batch 8\",\n"
      "1,GPU-a,2,1g.5gb,\"say \"\"hi\"\"\",\n"
      "1,GPU-a,3,1g.5gb,\"two\nlines\",\n"
      "2,GPU-a,,,,1\n");
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].power_w, 99.5);
  EXPECT_EQ(frames[0].timestamp_text, "1");
  ASSERT_EQ(frames[0].instances.size(), 3u);
  EXPECT_EQ(frames[0].instances[0].workload, "llm, batch 8");
  EXPECT_EQ(frames[0].instances[1].workload, "say \"hi\"");
  EXPECT_EQ(frames[0].instances[2].workload, "two\nlines");
}

TEST_F(TraceReaderTest, LineNumbersCountNewlinesInsideQuotedCells) {
  expect_error(
      "timestamp,gpu_uuid,gpu_i_id,gpu_i_profile,workload\n"
      "1,GPU-a,,,\n"
      "1,GPU-a,1,1g.5gb,\"a\nb\nc\"\n"
      "1,GPU-a,x,1g.5gb,\n",
      6, "gpu_i_id", "not a non-negative integer");
  expect_error("timestamp,gpu_uuid,gpu_i_id,workload\n1,GPU-a,,\"open\n", 2, "workload",
               "unterminated");
}

TEST_F(TraceReaderTest, AcceptsExponentsAndSignsInNumbers) {
  const auto frames = read_all(
      "timestamp,gpu_uuid,gpu_i_id,DCGM_FI_DEV_POWER_USAGE,DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION,"
      "DCGM_FI_DEV_GPU_TEMP\n"
      "1.7e9,GPU-a,,2.5e2,+12,-0\n");
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].timestamp_s, 1.7e9);
  EXPECT_EQ(frames[0].power_w, 250.0);
  EXPECT_EQ(frames[0].energy_mj, 12.0);
  EXPECT_EQ(frames[0].temperature_c, 0.0);
}

TEST_F(TraceReaderTest, StripsAByteOrderMark) {
  const auto frames = read_all("\xEF\xBB\xBF" + std::string(kHeader) + card("1", "GPU-a"));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].timestamp_s, 1.0);
}

TEST_F(TraceReaderTest, UnknownModelWithParseableProfileWorks) {
  const auto frames =
      read_all(std::string(kHeader) + card("1", "GPU-a", "50", "NVIDIA GeForce RTX 9090") +
               instance("1", "GPU-a", "1", "2g.12gb"));
  ASSERT_EQ(frames.size(), 1u);
  ASSERT_EQ(frames[0].instances.size(), 1u);
  EXPECT_EQ(frames[0].instances[0].compute_slices, 2);
  EXPECT_EQ(frames[0].instances[0].memory_slices, 0);
}

TEST_F(TraceReaderTest, ResolvesProfilesPerModel) {
  // The same profile name means different memory slices on different models.
  const auto frames = read_all(
      std::string(kHeader) + card("1", "GPU-a") + instance("1", "GPU-a", "1", "1g.10gb") +
      card("1", "GPU-b", "50", "NVIDIA H100 80GB HBM3") + instance("1", "GPU-b", "1", "1g.10gb"));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].instances[0].compute_slices, 1);
  EXPECT_EQ(frames[0].instances[0].memory_slices, 2);  // A100-40GB: 1g.10gb holds 2 of 8
  EXPECT_EQ(frames[1].instances[0].compute_slices, 1);
  EXPECT_EQ(frames[1].instances[0].memory_slices, 1);  // H100-80GB: 1g.10gb holds 1 of 8
}

TEST_F(TraceReaderTest, ReadsAcrossChunksAndRecordsLongerThanTheBuffer) {
  std::string content = kHeader;
  const int instants = 6000;  // about 2 MiB: several 1 MiB chunks
  for (int t = 0; t < instants; ++t) {
    const std::string ts = std::to_string(1000 + t) + ".25";
    content += card(ts, "GPU-a", std::to_string(t) + ".5");
    for (int i = 0; i < 3; ++i) content += instance(ts, "GPU-a", std::to_string(i));
  }
  const std::string huge(1500000, 'w');  // one cell longer than the buffer
  content += "99999,GPU-a,NVIDIA A100-SXM4-40GB,,,,,1,,,,,,,,,,,,,,\n";
  content += "99999,GPU-a,,1,1g.5gb," + huge + ",,,,,,,,,,,,,,,,\n";
  const auto frames = read_all(content);
  ASSERT_EQ(frames.size(), static_cast<std::size_t>(instants) + 1);
  for (int t = 0; t < instants; ++t) {
    const Frame& f = frames[static_cast<std::size_t>(t)];
    ASSERT_EQ(f.power_w, t + 0.5) << t;
    ASSERT_EQ(f.timestamp_s, 1000 + t + 0.25) << t;
    ASSERT_EQ(f.instances.size(), 3u) << t;
  }
  ASSERT_EQ(frames.back().instances.size(), 1u);
  EXPECT_EQ(frames.back().instances[0].workload, huge);
}

TEST_F(TraceReaderTest, ReadsStandardInput) {
  const std::string path = write_file(std::string(kHeader) + card("1", "GPU-a"));
  std::fflush(stdin);
  const int saved = ::dup(STDIN_FILENO);
  ASSERT_GE(saved, 0);
  std::FILE* file = std::fopen(path.c_str(), "rb");
  ASSERT_NE(file, nullptr);
  ::dup2(::fileno(file), STDIN_FILENO);
  std::vector<Frame> frames;
  std::string name;
  {
    TraceReader reader("-");
    name = reader.path();
    frames = drain(reader);
  }
  ::dup2(saved, STDIN_FILENO);
  ::close(saved);
  std::fclose(file);
  EXPECT_EQ(name, "-");
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].power_w, 250.5);
}

TEST_F(TraceReaderTest, BadHeadersAndMissingFilesAreInputErrors) {
  EXPECT_THROW(TraceReader("/nonexistent/dir/trace.csv"), InputError);
  EXPECT_THROW(TraceReader(write_file("")), InputError);
  EXPECT_THROW(TraceReader(write_file("\n\n")), InputError);
  for (const char* header :
       {"gpu_uuid,gpu_i_id\n", "timestamp,gpu_i_id\n", "timestamp,gpu_uuid\n"}) {
    EXPECT_THROW(TraceReader(write_file(header)), InputError) << header;
  }
  try {
    TraceReader reader(
        write_file("timestamp,gpu_uuid,gpu_i_id,DCGM_FI_DEV_POWER_USAGE,"
                   "DCGM_FI_DEV_POWER_USAGE\n"));
    ADD_FAILURE() << "duplicate columns accepted";
  } catch (const LocatedError& error) {
    EXPECT_EQ(error.line(), 1u);
    EXPECT_EQ(error.column(), "DCGM_FI_DEV_POWER_USAGE");
    EXPECT_NE(error.reason().find("duplicate"), std::string::npos);
  }
}

TEST_F(TraceReaderTest, RejectsBadNumbersNamingLineAndColumn) {
  const std::string head = std::string(kHeader) + card("1", "GPU-a");
  expect_error(head + card("2", "GPU-a", "abc"), 3, "DCGM_FI_DEV_POWER_USAGE", "not a number");
  expect_error(head + card("2", "GPU-a", "nan"), 3, "DCGM_FI_DEV_POWER_USAGE", "NaN");
  expect_error(head + card("2", "GPU-a", "inf"), 3, "DCGM_FI_DEV_POWER_USAGE", "not finite");
  expect_error(head + card("2", "GPU-a", "-1.5"), 3, "DCGM_FI_DEV_POWER_USAGE", "negative");
  expect_error(head + card("2", "GPU-a", "12.5.1"), 3, "DCGM_FI_DEV_POWER_USAGE", "not a number");
  expect_error(head + "2,GPU-a,,,,,,1,-5,1410,1215,55,400,,,,,,,,,\n", 3,
               "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", "negative");
  expect_error(head + "2,GPU-a,,,,,,1,5,-1410,1215,55,400,,,,,,,,,\n", 3, "DCGM_FI_DEV_SM_CLOCK",
               "negative");
  expect_error(head + "2,GPU-a,,,,,,1,5,1410,-1,55,400,,,,,,,,,\n", 3, "DCGM_FI_DEV_MEM_CLOCK",
               "negative");
  expect_error(head + "2,GPU-a,,,,,,1,5,1410,1215,-3,400,,,,,,,,,\n", 3, "DCGM_FI_DEV_GPU_TEMP",
               "negative");
  expect_error(head + "2,GPU-a,,,,,,1,5,1410,1215,3,-400,,,,,,,,,\n", 3,
               "DCGM_FI_DEV_POWER_MGMT_LIMIT", "negative");
  expect_error(head + "1,GPU-a,,1,1g.5gb,,-2,,,,,,,,,,,,,,,\n", 3, "truth_power_w", "negative");
  expect_error(head + "1,GPU-a,,1,1g.5gb,,,,,,,,,,,,,,,,,-4096\n", 3, "DCGM_FI_DEV_FB_USED",
               "negative");
  expect_error(head + "x,GPU-a,,,,,,,,,,,,,,,,,,,,\n", 3, "timestamp", "not a number");
  expect_error(head + ",GPU-a,,,,,,,,,,,,,,,,,,,,\n", 3, "timestamp", "empty timestamp");
  expect_error(head + "inf,GPU-a,,,,,,,,,,,,,,,,,,,,\n", 3, "timestamp", "not finite");
}

TEST_F(TraceReaderTest, RejectsUtilizationOutsideZeroToOne) {
  const std::string head = std::string(kHeader) + card("1", "GPU-a");
  expect_error(head + instance("1", "GPU-a", "1", "1g.5gb", "1.5"), 3, "DCGM_FI_PROF_SM_ACTIVE",
               "outside 0..1");
  expect_error(head + instance("1", "GPU-a", "1", "1g.5gb", "1.0000001"), 3,
               "DCGM_FI_PROF_SM_ACTIVE", "outside 0..1");
  expect_error(head + instance("1", "GPU-a", "1", "1g.5gb", "-0.1"), 3, "DCGM_FI_PROF_SM_ACTIVE",
               "outside 0..1");
  expect_error(head + instance("1", "GPU-a", "1", "1g.5gb", "2e0"), 3, "DCGM_FI_PROF_SM_ACTIVE",
               "outside 0..1");
  expect_error(head + instance("1", "GPU-a", "1", "1g.5gb", "nan"), 3, "DCGM_FI_PROF_SM_ACTIVE",
               "NaN");
  // The bounds themselves are fine.
  const auto frames = read_all(head + instance("1", "GPU-a", "1", "1g.5gb", "1.0") +
                               instance("1", "GPU-a", "2", "1g.5gb", "0"));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].instances[0].get(Activity::sm), 1.0);
  EXPECT_EQ(frames[0].instances[1].get(Activity::sm), 0.0);
}

TEST_F(TraceReaderTest, RejectsBadStructureNamingLineAndColumn) {
  const std::string head = std::string(kHeader) + card("5", "GPU-a");
  expect_error(std::string(kHeader) + instance("5", "GPU-a", "1"), 2, "gpu_i_id",
               "before the card row");
  // The card row of another timestamp does not count.
  expect_error(head + instance("6", "GPU-a", "1"), 3, "gpu_i_id", "before the card row");
  expect_error(head + card("6", "GPU-b") + instance("6", "GPU-a", "1"), 4, "gpu_i_id",
               "before the card row");
  expect_error(head + card("4.5", "GPU-a"), 3, "timestamp", "backwards");
  expect_error(head + instance("5", "GPU-a", "1") + instance("5", "GPU-a", "1"), 4, "gpu_i_id",
               "twice");
  expect_error(head + instance("5", "GPU-a", "100") + instance("5", "GPU-a", "100"), 4, "gpu_i_id",
               "twice");
  expect_error(head + card("5", "GPU-a"), 3, "gpu_uuid", "second card row");
  expect_error(head + instance("5", "GPU-a", "-1"), 3, "gpu_i_id", "non-negative integer");
  expect_error(head + instance("5", "GPU-a", "1.5"), 3, "gpu_i_id", "non-negative integer");
  expect_error(head + instance("5", "GPU-a", "x"), 3, "gpu_i_id", "non-negative integer");
  expect_error(head + instance("5", "GPU-a", "99999999999"), 3, "gpu_i_id", "non-negative integer");
  expect_error(head + instance("5", "GPU-a", "1", "9z.bad"), 3, "gpu_i_profile", "9z.bad");
  expect_error(head + "5,,,,,,,1,,,,,,,,,,,,,,\n", 3, "gpu_uuid", "empty gpu_uuid");
}

TEST_F(TraceReaderTest, RejectsRowsWithTheWrongNumberOfCells) {
  const std::string head = std::string(kHeader) + card("5", "GPU-a");
  // Too few: names the first missing column.
  expect_error(head + "6,GPU-a,,,,,,1\n", 3, "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION",
               "expected 22 cells as in the header, found 8");
  // Too many: names the first extra cell.
  expect_error(head + "6,GPU-a,,,,,,1,,,,,,,,,,,,,,,,\n", 3, "cell 23",
               "expected 22 cells as in the header, found 24");
  expect_error(head + "6,GPU-a,\"x\",,,,,1,,,,,,,,,,,,,,,,\n", 3, "cell 23", "found 24");
}

TEST_F(TraceReaderTest, LenientModeSkipsAndCountsBadRows) {
  const std::string content =
      std::string(kHeader) + card("1", "GPU-a") + instance("1", "GPU-a", "1") +
      instance("1", "GPU-a", "2", "1g.5gb", "7") +  // line 4: bad utilization
      card("2", "GPU-a", "oops") +                  // line 5: bad card row ...
      instance("2", "GPU-a", "1") +                 // line 6: ... takes its instance along
      card("2", "GPU-b") + instance("2", "GPU-b", "3") + "2,GPU-b,,,\n" +  // line 9: short
      card("1", "GPU-b") +                                                 // line 10: backwards
      card("3", "GPU-a") + instance("3", "GPU-a", "1");
  TraceReader reader(write_file(content), TraceReaderOptions{.lenient = true});
  const auto frames = drain(reader);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].gpu_uuid, "GPU-a");
  ASSERT_EQ(frames[0].instances.size(), 1u);
  EXPECT_EQ(frames[0].instances[0].gpu_i_id, 1);
  EXPECT_EQ(frames[1].gpu_uuid, "GPU-b");  // GPU-a has no frame at t=2
  EXPECT_EQ(frames[1].instances.size(), 1u);
  EXPECT_EQ(frames[2].timestamp_s, 3.0);
  EXPECT_EQ(frames[2].instances.size(), 1u);
  EXPECT_EQ(reader.rows_read(), 11u);
  EXPECT_EQ(reader.rows_skipped(), 5u);
  ASSERT_EQ(reader.skip_examples().size(), 5u);
  const std::string& path = reader.path();
  const std::vector<std::pair<int, std::string>> expected = {{4, "DCGM_FI_PROF_SM_ACTIVE"},
                                                             {5, "DCGM_FI_DEV_POWER_USAGE"},
                                                             {6, "was skipped"},
                                                             {9, "expected 22 cells"},
                                                             {10, "backwards"}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const std::string& message = reader.skip_examples()[i];
    EXPECT_EQ(message.rfind(path + ":" + std::to_string(expected[i].first) + ":", 0), 0u)
        << message;
    EXPECT_NE(message.find(expected[i].second), std::string::npos) << message;
  }
}

TEST_F(TraceReaderTest, LenientModeKeepsOnlyTheFirstFiveExamples) {
  std::string content = std::string(kHeader) + card("1", "GPU-a");
  for (int i = 0; i < 8; ++i) content += instance("1", "GPU-a", std::to_string(i), "1g.5gb", "2");
  TraceReader reader(write_file(content), TraceReaderOptions{.lenient = true});
  const auto frames = drain(reader);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_TRUE(frames[0].instances.empty());
  EXPECT_EQ(reader.rows_skipped(), 8u);
  EXPECT_EQ(reader.skip_examples().size(), 5u);
}

TEST_F(TraceReaderTest, StrictModeStopsAtTheFirstBadRow) {
  const std::string path =
      write_file(std::string(kHeader) + card("1", "GPU-a") + card("2", "GPU-a", "bad"));
  TraceReader reader(path);
  Frame frame;
  EXPECT_THROW(reader.next(frame), LocatedError);
  EXPECT_EQ(reader.rows_skipped(), 0u);
}

}  // namespace
}  // namespace migpower
