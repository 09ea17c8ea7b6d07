#pragma once

#include <nlohmann/json_fwd.hpp>
#include <ostream>
#include <string>
#include <string_view>

namespace migpower {

// What every HTML report page shares: one self-contained file (the chart library, the page's
// script and styles inlined), a Content-Security-Policy that lets it load nothing from anywhere,
// and the data its plots draw as one JSON block that the script reads.

// Text safe inside an HTML element or a quoted attribute.
[[nodiscard]] std::string html_escape(std::string_view text);

// Writes the page: `body` is HTML, `data` what report/src/report.js draws (its "plots").
void write_html_page(std::ostream& out, std::string_view title, std::string_view body,
                     const nlohmann::json& data);

// Decimals that show a column whose largest magnitude is `max_abs` with about four significant
// digits, between 1 and 6.
[[nodiscard]] int decimals_for(double max_abs);
// `value` with `decimals` decimals ("12.35"); "" for NaN.
[[nodiscard]] std::string fixed(double value, int decimals);
// A duration as people read it: "24 h 0 min", "10 min 0 s", "12.5 s".
[[nodiscard]] std::string duration_text(double seconds);
// A value for a plot's data, rounded to `decimals` so the page stays small; NaN as null.
[[nodiscard]] nlohmann::json plot_value(double value, int decimals);

}  // namespace migpower
