#include "trace/csv_split.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/csv_cell.hpp"

namespace migpower {
namespace {

std::vector<std::string> split(std::string_view record, CsvSplit* result = nullptr) {
  std::array<std::string_view, 64> cells;
  std::string scratch;
  const CsvSplit found = split_csv_record(record, cells, scratch);
  if (result != nullptr) *result = found;
  std::vector<std::string> out;
  for (std::size_t i = 0; i < found.cells && i < cells.size() && found.error.empty(); ++i) {
    out.emplace_back(cells[i]);
  }
  return out;
}

using Cells = std::vector<std::string>;

TEST(CsvSplit, SplitsPlainRecordsAtCommas) {
  EXPECT_EQ(split("a,b,c"), (Cells{"a", "b", "c"}));
  EXPECT_EQ(split(""), (Cells{""}));
  EXPECT_EQ(split(",,"), (Cells{"", "", ""}));
  EXPECT_EQ(split("x,"), (Cells{"x", ""}));
  EXPECT_EQ(split(",x"), (Cells{"", "x"}));
}

TEST(CsvSplit, FindsCommasAcrossBlockBoundaries) {
  // Records of every length around the 16- and 64-byte blocks the fast path works in.
  for (std::size_t length = 1; length < 200; ++length) {
    std::string record;
    Cells want(1);
    for (std::size_t i = 0; i < length; ++i) {
      if (i % 7 == 3) {
        record += ',';
        want.emplace_back();
      } else {
        const char c = static_cast<char>('a' + i % 26);
        record += c;
        want.back() += c;
      }
    }
    EXPECT_EQ(split(record), want) << length;
  }
}

TEST(CsvSplit, UnquotesQuotedCells) {
  EXPECT_EQ(split(R"(1,"a,b",c)"), (Cells{"1", "a,b", "c"}));
  EXPECT_EQ(split(R"("say ""hi""",x)"), (Cells{"say \"hi\"", "x"}));
  EXPECT_EQ(split(R"("",x)"), (Cells{"", "x"}));
  EXPECT_EQ(split(R"(x,"")"), (Cells{"x", ""}));
  EXPECT_EQ(split("\"two\nlines\",x"), (Cells{"two\nlines", "x"}));
  EXPECT_EQ(split(R"("a""b","c""d")"), (Cells{"a\"b", "c\"d"}));
}

TEST(CsvSplit, ReportsMalformedQuotesWithTheCell) {
  CsvSplit result;
  split(R"(a,"open)", &result);
  EXPECT_EQ(result.error, "unterminated quoted cell");
  EXPECT_EQ(result.error_cell, 1u);
  split(R"(a,b,"x"y)", &result);
  EXPECT_EQ(result.error, "text after the closing quote of a cell");
  EXPECT_EQ(result.error_cell, 2u);
  split(R"(a"b,c)", &result);
  EXPECT_EQ(result.error, "quote inside an unquoted cell");
  EXPECT_EQ(result.error_cell, 0u);
}

TEST(CsvSplit, CountsCellsBeyondTheSpan) {
  std::array<std::string_view, 2> cells;
  std::string scratch;
  const CsvSplit plain = split_csv_record("a,b,c,d", cells, scratch);
  EXPECT_EQ(plain.cells, 4u);
  EXPECT_EQ(cells[1], "b");
  const CsvSplit quoted = split_csv_record(R"("a",b,"c",d)", cells, scratch);
  EXPECT_EQ(quoted.cells, 4u);
  EXPECT_EQ(cells[0], "a");
  EXPECT_EQ(split_unquoted_record("1,2,3", cells), 3u);
}

TEST(CsvSplit, FindsCommaOffsetsOfPaddedRecords) {
  for (std::size_t length = 0; length < 200; ++length) {
    std::string record;
    std::vector<std::uint32_t> want;
    for (std::size_t i = 0; i < length; ++i) {
      const bool comma = i % 5 == 1 || i % 11 == 0;
      record += comma ? ',' : 'x';
      if (comma) want.push_back(static_cast<std::uint32_t>(i));
    }
    // Commas past the record's end must not count: the padding is full of them.
    const std::string padded = record + std::string(64, ',');
    std::vector<std::uint32_t> found(length + 1);
    const std::size_t count =
        find_commas_padded(std::string_view(padded.data(), length), found.data());
    found.resize(count);
    EXPECT_EQ(found, want) << length;
  }
}

// Whatever is written reads back as the same cells.
TEST(CsvSplit, ReadsBackWhatAppendCsvCellWrites) {
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
