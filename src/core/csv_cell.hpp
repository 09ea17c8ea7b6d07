#pragma once

#include <string>
#include <string_view>

namespace migpower {

// Appends `value` to `out` as one CSV cell, RFC 4180 style (what split_csv_record reads back):
// quoted only when it must be, i.e. when it holds a comma, a quote or a line break, with its
// quotes doubled.
void append_csv_cell(std::string& out, std::string_view value);

}  // namespace migpower
