#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "export/report_builder.hpp"

namespace migpower {

// The numeric columns of a report's group table, shared by the CSV (every column, always, in
// this order) and the HTML page (the columns that apply), so that the two cannot drift apart.
struct ReportColumn {
  std::string_view name;     // the CSV header and the page's data-column
  std::string_view heading;  // on the page
  int csv_decimals = 6;
  std::optional<double> (*value)(const ReportGroup& group) = nullptr;
  // Whether the page shows it for this report (e.g. cost only when a price was given).
  bool (*applies)(const Report& report) = nullptr;
};

[[nodiscard]] std::span<const ReportColumn> report_columns();

}  // namespace migpower
