#include "core/csv_cell.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

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

}  // namespace
}  // namespace migpower
