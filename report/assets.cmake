# The browser side of the HTML reports (docs/reports.md), inlined into migpower at build time:
# uPlot from the npm registry (report/node_modules, filled by `npm ci` in scripts/install-deps) and
# the page's own script and styles (report/src/). The generated report_assets.cpp defines what
# src/export/report_assets.hpp declares; nothing is fetched at build or run time.
set(MIGPOWER_REPORT_DIR ${CMAKE_CURRENT_LIST_DIR})
set(report_asset_names uplot_js uplot_css page_js page_css)
set(report_asset_files
    ${MIGPOWER_REPORT_DIR}/node_modules/uplot/dist/uPlot.iife.min.js
    ${MIGPOWER_REPORT_DIR}/node_modules/uplot/dist/uPlot.min.css
    ${MIGPOWER_REPORT_DIR}/src/report.js
    ${MIGPOWER_REPORT_DIR}/src/report.css)
set(report_uplot_package ${MIGPOWER_REPORT_DIR}/node_modules/uplot/package.json)
foreach(file IN LISTS report_asset_files report_uplot_package)
  if(NOT EXISTS ${file})
    message(FATAL_ERROR
      "${file} is missing: the HTML reports inline the chart library from the npm registry. "
      "Run scripts/install-deps (it runs `npm ci` in report/), then configure again.")
  endif()
endforeach()
file(READ ${report_uplot_package} report_uplot_package_json)
string(JSON report_uplot_version GET ${report_uplot_package_json} version)

set(report_assets_cpp ${PROJECT_BINARY_DIR}/generated/report/report_assets.cpp)
add_custom_command(
  OUTPUT ${report_assets_cpp}
  COMMAND ${CMAKE_COMMAND} -DOUTPUT=${report_assets_cpp} "-DNAMES=${report_asset_names}"
          "-DFILES=${report_asset_files}" -DUPLOT_VERSION=${report_uplot_version}
          -P ${MIGPOWER_REPORT_DIR}/embed.cmake
  DEPENDS ${report_asset_files} ${MIGPOWER_REPORT_DIR}/embed.cmake
  COMMENT "Inlining uPlot and the report page's script into report_assets.cpp"
  VERBATIM)
target_sources(migpower_export PRIVATE ${report_assets_cpp})
