#include "core/csv_cell.hpp"

#include <algorithm>

namespace migpower {

void append_csv_cell(std::string& out, std::string_view value) {
  // A plain loop: find_first_of calls memchr once per character.
  const bool plain = std::none_of(value.begin(), value.end(), [](char c) {
    return c == ',' || c == '"' || c == '\n' || c == '\r';
  });
  if (plain) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (const char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace migpower
