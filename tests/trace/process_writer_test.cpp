#include "trace/process_writer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "trace/csv_split.hpp"

namespace migpower {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

ProcessSample sample(unsigned pid, std::string name) {
  ProcessSample p;
  p.timestamp_s = 1767225600.5;
  p.timestamp_text = "1767225600.500";
  p.gpu_uuid = "GPU-11111111-2222-3333-4444-555555555555";
  p.pid = pid;
  p.name = std::move(name);
  return p;
}

TEST(ProcessWriter, WritesTheHeaderThenOneRowPerProcess) {
  std::ostringstream out;
  {
    ProcessWriter writer(out);
    ProcessSample full = sample(1001, "python3");
    full.sm_util_pct = 37.5;
    full.mem_util_pct = 12;
    full.used_memory_bytes = 1073741824ULL;
    ProcessSample mig = sample(42, "infer");
    mig.gpu_i_id = 13;  // MIG: an instance, no utilization, memory unknown
    const std::vector<ProcessSample> frame = {full, mig};
    writer.write(frame);
    EXPECT_EQ(writer.rows(), 2u);
  }
  const auto rows = lines(out.str());
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0],
            "timestamp,gpu_uuid,gpu_i_id,pid,process_name,sm_util_pct,mem_util_pct,"
            "used_memory_bytes");
  EXPECT_EQ(rows[1],
            "1767225600.500,GPU-11111111-2222-3333-4444-555555555555,,1001,python3,37.5,12,"
            "1073741824");
  EXPECT_EQ(rows[2], "1767225600.500,GPU-11111111-2222-3333-4444-555555555555,13,42,infer,,,");
}

TEST(ProcessWriter, QuotesNamesThatWouldBreakTheRowAndTheyReadBack) {
  std::ostringstream out;
  const std::vector<std::string> names = {"run, then \"eval\"", "two\nlines", "plain"};
  {
    ProcessWriter writer(out);
    std::vector<ProcessSample> frame;
    for (std::size_t i = 0; i < names.size(); ++i) frame.push_back(sample(100 + i, names[i]));
    writer.write(frame);
  }
  const std::string text = out.str();
  EXPECT_NE(text.find(R"("run, then ""eval""")"), std::string::npos) << text;
  // Split as the trace reader splits: every record has 8 cells and the name comes back whole.
  std::string_view rest(text);
  rest.remove_prefix(rest.find('\n') + 1);
  std::array<std::string_view, 8> cells{};
  std::string scratch;
  for (const std::string& name : names) {
    // A quoted cell may hold a line break: the record ends at the first newline outside quotes.
    std::size_t end = 0;
    bool quoted = false;
    while (end < rest.size() && (quoted || rest[end] != '\n')) quoted ^= rest[end++] == '"';
    const CsvSplit split = split_csv_record(rest.substr(0, end), cells, scratch);
    EXPECT_TRUE(split.error.empty()) << split.error;
    ASSERT_EQ(split.cells, 8u);
    EXPECT_EQ(cells[4], name);
    rest.remove_prefix(end + 1);
  }
  EXPECT_TRUE(rest.empty());
}

// Counts flushes reaching the stream: a killed recorder keeps every frame written before.
class CountingBuffer : public std::stringbuf {
 public:
  int syncs = 0;

 protected:
  int sync() override {
    ++syncs;
    return std::stringbuf::sync();
  }
};

TEST(ProcessWriter, FlushesEachFrameWhenAsked) {
  CountingBuffer buffer;
  std::ostream out(&buffer);
  ProcessWriter writer(out, /*flush_each_frame=*/true);
  const int after_header = buffer.syncs;
  EXPECT_EQ(buffer.str().back(), '\n');  // the header is out already
  const std::vector<ProcessSample> frame = {sample(1, "a")};
  writer.write(frame);
  EXPECT_EQ(buffer.syncs, after_header + 1);
  EXPECT_EQ(lines(buffer.str()).size(), 2u);  // the row is in the stream, not held back
  writer.write({});                           // a frame without processes still flushes
  EXPECT_EQ(buffer.syncs, after_header + 2);
}

TEST(ProcessWriter, WithoutFlushingEachFrameRowsReachTheStreamByTheEnd) {
  std::ostringstream out;
  {
    ProcessWriter writer(out);
    const std::vector<ProcessSample> frame = {sample(1, "a"), sample(2, "b")};
    for (int i = 0; i < 1000; ++i) writer.write(frame);
  }
  EXPECT_EQ(lines(out.str()).size(), 1u + 2000u);
}

}  // namespace
}  // namespace migpower
