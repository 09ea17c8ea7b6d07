#pragma once

#include <nlohmann/json_fwd.hpp>
#include <ostream>

#include "export/report_builder.hpp"

namespace migpower {

// `migpower report --format csv`: one row per group, every column of export/report_columns.hpp
// (empty where it does not apply), then the period, method and idle policy on every row.
void write_report_csv(std::ostream& out, const Report& report);

// `--format json`: what the report says, for machines: settings, totals, cards and groups (the
// plots' decimated series are left out; `migpower attribute --format csv` has every frame).
[[nodiscard]] nlohmann::json report_json(const Report& report);

// `--format html`: one self-contained page: stacked per-instance power under each card's measured
// power, energy and carbon per group as bars, and the tables.
void write_report_html(std::ostream& out, const Report& report);

}  // namespace migpower
