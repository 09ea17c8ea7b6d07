#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace migpower {

// What split_csv_record found in one record.
struct CsvSplit {
  std::size_t cells = 0;       // cells in the record; may exceed the span it was given
  std::string_view error;      // empty when well formed, else a fixed description
  std::size_t error_cell = 0;  // index of the malformed cell when `error` is set
};

// Splits one CSV record (without its line terminator) at commas, RFC 4180 style: a cell may be
// quoted ("a,b"), a quote inside a quoted cell is doubled (""), and a quoted cell may span lines.
// Stores up to `cells.size()` views, which point into `record` or, for cells that needed
// unescaping, into `scratch` (cleared here; the views stay valid until its next use).
CsvSplit split_csv_record(std::string_view record, std::span<std::string_view> cells,
                          std::string& scratch);

// The fast path of split_csv_record for a record known to hold no quote character. Returns the
// number of cells.
std::size_t split_unquoted_record(std::string_view record, std::span<std::string_view> cells);

// For callers that look up cells by column without views: stores the offset of each comma in
// `record` (shorter than 4 GiB) at `positions` (room for record.size() of them: no bound is
// checked) and returns how many there are. Reads up to 63 bytes past the record's end: the caller
// guarantees they are readable.
std::size_t find_commas_padded(std::string_view record, std::uint32_t* positions);

}  // namespace migpower
