#include "telemetry/csv_cell.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>

#include "telemetry/csv_split.hpp"

namespace migpower {
namespace {

TEST(AppendCsvCell, LeavesPlainTextUnquoted) {
  std::string out = "a,";
  append_csv_cell(out, "python3 train.py");
  EXPECT_EQ(out, "a,python3 train.py");
}

TEST(AppendCsvCell, QuotesOnlyWhatMustBeQuoted) {
  for (const std::string_view value : {"a,b", "say \"hi\"", "two\nlines", "cr\r", "\""}) {
    std::string out;
    append_csv_cell(out, value);
    EXPECT_EQ(out.front(), '"') << value;
    EXPECT_EQ(out.back(), '"') << value;
  }
}

// Whatever is written reads back as the same cells.
TEST(AppendCsvCell, ReadsBackThroughTheTraceReadersSplitter) {
  const std::array<std::string_view, 6> values = {"plain", "a,b", "q\"uo\"te", "", "x\ny", "\"\""};
  std::string record;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) record.push_back(',');
    append_csv_cell(record, values[i]);
  }
  std::array<std::string_view, 8> cells{};
  std::string scratch;
  const CsvSplit split = split_csv_record(record, cells, scratch);
  ASSERT_TRUE(split.error.empty()) << split.error;
  ASSERT_EQ(split.cells, values.size());
  for (std::size_t i = 0; i < values.size(); ++i) EXPECT_EQ(cells[i], values[i]) << i;
}

}  // namespace
}  // namespace migpower
