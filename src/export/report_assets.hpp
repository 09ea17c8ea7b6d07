#pragma once

#include <string_view>

namespace migpower {

// The browser side of the HTML reports, inlined into the binary at build time so that a report
// is one file that needs nothing else (report/assets.cmake generates the definitions from
// report/node_modules, which `scripts/install-deps` fills from the npm registry, and from
// report/src/).
[[nodiscard]] std::string_view report_uplot_js();   // uPlot, the chart library (MIT)
[[nodiscard]] std::string_view report_uplot_css();  // uPlot's own style sheet
[[nodiscard]] std::string_view report_page_js();    // report/src/report.js: draws the plots
[[nodiscard]] std::string_view report_page_css();   // report/src/report.css
[[nodiscard]] std::string_view report_uplot_version();

}  // namespace migpower
