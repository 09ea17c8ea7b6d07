#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/energy_units.hpp"
#include "export/report_assets.hpp"
#include "export/report_columns.hpp"
#include "export/report_page.hpp"
#include "export/report_writers.hpp"
#include "trace/time_text.hpp"

namespace migpower {
namespace {

constexpr double kGramsPerKg = 1000.0;
constexpr int kWattDecimals = 2;
constexpr int kTimeDecimals = 3;

std::string grouping_text(ReportGrouping grouping) {
  switch (grouping) {
    case ReportGrouping::instance:
      return "by MIG instance (GPU_UUID/GPU_I_ID, profile and workload label)";
    case ReportGrouping::tenant:
      return "by tenant: an instance's workload label, or GPU_UUID/GPU_I_ID where it has none";
    case ReportGrouping::gpu:
      return "by card, its unattributed energy included";
  }
  return "";
}

std::string heading_for(ReportGrouping grouping) {
  switch (grouping) {
    case ReportGrouping::instance:
      return "instance";
    case ReportGrouping::tenant:
      return "tenant";
    case ReportGrouping::gpu:
      return "GPU";
  }
  return "group";
}

std::string period_text(const Report& report) {
  std::string text = fmt::format("{} to {} ({}, {} frames)", format_rfc3339(report.first_s),
                                 format_rfc3339(report.last_s),
                                 duration_text(report.last_s - report.first_s), report.frames);
  const ReportSettings& settings = report.settings;
  if (settings.from_s || settings.to_s) {
    text += fmt::format("; asked for {} to {}",
                        settings.from_s ? format_rfc3339(*settings.from_s) : "the start",
                        settings.to_s ? format_rfc3339(*settings.to_s) : "the end");
  }
  return text;
}

void add_fact(std::string& html, std::string_view term, const std::string& text) {
  html += fmt::format("<dt>{}</dt><dd>{}</dd>\n", term, html_escape(text));
}

std::string facts(const Report& report) {
  const ReportSettings& settings = report.settings;
  std::string html = "<dl class=\"facts\">\n";
  add_fact(html, "Source", report.info.source);
  add_fact(html, "Period", period_text(report));
  add_fact(html, "Method", report.info.method);
  add_fact(html, "Idle policy", report.info.idle_policy);
  add_fact(html, "Grouping", grouping_text(settings.group_by));
  add_fact(html, "Carbon, location-based", carbon_source_text(report));
  add_fact(html, "Carbon, market-based",
           settings.market_carbon_g_per_kwh
               ? fmt::format("{:g} g CO2e/kWh", *settings.market_carbon_g_per_kwh)
               : std::string(report.market_carbon_g ? "recorded by the source" : "not given"));
  if (settings.price_per_kwh) {
    add_fact(html, "Price",
             fmt::format("{:g} {} per kWh", *settings.price_per_kwh,
                         settings.currency.empty() ? "" : settings.currency));
  }
  if (settings.embodied_kgco2e) {
    add_fact(html, "Software Carbon Intensity",
             fmt::format("operational (location-based) plus the embodied carbon of the card, "
                         "{:g} kg CO2e over {:g} years, shared by time and by compute slices "
                         "held; functional unit: the {} over the period",
                         *settings.embodied_kgco2e, settings.lifetime_years,
                         heading_for(settings.group_by)));
  }
  if (report.has_uncertainty()) {
    add_fact(html, "Uncertainty",
             "&plusmn; is one standard deviation of the energy from the method's per-frame "
             "uncertainty, taken as fully correlated in time: an upper bound");
  }
  html += "</dl>\n";
  // The uncertainty line holds an entity: unescape the one we wrote ourselves.
  const std::string escaped = "&amp;plusmn;";
  if (const auto at = html.find(escaped); at != std::string::npos) {
    html.replace(at, escaped.size(), "&plusmn;");
  }
  return html;
}

std::string tile(std::string_view name, const std::string& value, std::string_view unit) {
  return fmt::format(
      "<div class=\"tile\" data-tile=\"{}\"><span class=\"value\">{}</span> <span "
      "class=\"unit\">{}</span><span class=\"name\">{}</span></div>\n",
      name, html_escape(value), html_escape(unit), name);
}

std::string tiles(const Report& report) {
  std::string html = "<div class=\"tiles\">\n";
  const double kwh = report.energy_j / kJoulesPerKwh;
  html += tile("measured energy", fixed(kwh, decimals_for(kwh)), "kWh");
  const double kg = report.carbon_g / kGramsPerKg;
  html += tile("carbon, location-based", fixed(kg, decimals_for(kg)), "kg CO2e");
  if (report.market_carbon_g) {
    const double market = *report.market_carbon_g / kGramsPerKg;
    html += tile("carbon, market-based", fixed(market, decimals_for(market)), "kg CO2e");
  }
  if (report.cost) {
    html += tile("cost", fixed(*report.cost, decimals_for(*report.cost)), report.settings.currency);
  }
  double peak = 0.0;
  for (const ReportCard& card : report.cards) peak = std::max(peak, card.peak_power_w);
  html += tile("peak card power", fixed(peak, 1), "W");
  html += "</div>\n";
  return html;
}

nlohmann::json values_json(const std::vector<double>& values, int decimals) {
  nlohmann::json out = nlohmann::json::array();
  for (const double value : values) out.push_back(plot_value(value, decimals));
  return out;
}

// The stacked plot of one card: its instances' power under its measured power.
nlohmann::json card_plot(const ReportCard& card) {
  const DecimatedSeries& power = card.power;
  const double t0 = power.t.empty() ? card.first_s : power.t.front();
  nlohmann::json t = nlohmann::json::array();
  for (const double time : power.t) t.push_back(plot_value(time - t0, kTimeDecimals));
  nlohmann::json series = nlohmann::json::array();
  for (std::size_t i = 0; i < card.instance_labels.size(); ++i) {
    series.push_back({{"label", card.instance_labels[i]},
                      {"values", values_json(power.columns.size() > i + 2 ? power.columns[i + 2]
                                                                          : std::vector<double>{},
                                             kWattDecimals)}});
  }
  nlohmann::json plot = {
      {"kind", "stacked"},
      {"title", "GPU " + card.gpu_uuid},
      {"t0", t0},
      {"t", std::move(t)},
      {"measured", values_json(power.columns.empty() ? std::vector<double>{} : power.columns[0],
                               kWattDecimals)},
      {"series", std::move(series)}};
  if (card.unattributed_j > 0.0 && power.columns.size() > 1) {
    plot["unattributed"] = values_json(power.columns[1], kWattDecimals);
  }
  return plot;
}

nlohmann::json bars_plot(const Report& report, std::string_view title, std::string_view unit,
                         const std::vector<std::pair<std::string, std::vector<double>>>& series) {
  nlohmann::json labels = nlohmann::json::array();
  for (const ReportGroup& group : report.groups) labels.push_back(group.name);
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [label, values] : series) {
    double max_abs = 0.0;
    for (const double value : values) max_abs = std::max(max_abs, std::abs(value));
    out.push_back({{"label", label}, {"values", values_json(values, decimals_for(max_abs) + 2)}});
  }
  return {{"kind", "bars"},
          {"title", title},
          {"unit", unit},
          {"labels", std::move(labels)},
          {"series", std::move(out)}};
}

std::string plot_div(std::size_t index, std::string_view title, std::string_view note) {
  std::string html = fmt::format(
      "<figure class=\"plot-figure\"><figcaption>{}</figcaption>"
      "<div class=\"plot\" data-plot=\"{}\"></div>",
      html_escape(title), index);
  if (!note.empty()) html += fmt::format("<p class=\"note\">{}</p>", html_escape(note));
  return html + "</figure>\n";
}

std::string group_table(const Report& report) {
  std::vector<const ReportColumn*> columns;
  for (const ReportColumn& column : report_columns()) {
    if (column.applies(report)) columns.push_back(&column);
  }
  std::vector<int> decimals;
  for (const ReportColumn* column : columns) {
    double max_abs = 0.0;
    for (const ReportGroup& group : report.groups) {
      if (const auto value = column->value(group)) max_abs = std::max(max_abs, std::abs(*value));
    }
    decimals.push_back(column->name == "share_pct" ? 1 : decimals_for(max_abs));
  }
  std::string html = fmt::format(
      "<table class=\"groups\" id=\"groups\">\n<thead><tr><th data-column=\"group\">{}</th>"
      "<th data-column=\"members\">instances</th>",
      heading_for(report.settings.group_by));
  for (const ReportColumn* column : columns) {
    std::string heading(column->heading);
    if (column->name == "cost" && !report.settings.currency.empty()) {
      heading = fmt::format("{} {}", heading, html_escape(report.settings.currency));
    }
    html += fmt::format("<th data-column=\"{}\">{}</th>", column->name, heading);
  }
  html += "</tr></thead>\n<tbody>\n";
  for (const ReportGroup& group : report.groups) {
    std::string members;
    for (const std::string& member : group.members) {
      if (!members.empty()) members += "<br>";
      members += html_escape(member);
    }
    html += fmt::format(
        "<tr data-group=\"{0}\"><td data-column=\"group\">{0}</td><td data-column=\"members\" "
        "class=\"members\">{1}</td>",
        html_escape(group.name), members);
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::optional<double> value = columns[c]->value(group);
      html += fmt::format("<td data-column=\"{}\">{}</td>", columns[c]->name,
                          value ? fixed(*value, decimals[c]) : std::string());
    }
    html += "</tr>\n";
  }
  html += "</tbody>\n</table>\n";
  return html;
}

std::string card_table(const Report& report) {
  std::string html =
      "<table class=\"cards\" id=\"cards\">\n<thead><tr><th>GPU</th><th>model</th>"
      "<th>frames</th><th>without power</th><th>measured kWh</th><th>unattributed kWh</th>"
      "<th>mean W</th><th>peak W</th><th>carbon kg CO2e</th></tr></thead>\n<tbody>\n";
  double max_kwh = 0.0;
  double max_kg = 0.0;
  for (const ReportCard& card : report.cards) {
    max_kwh = std::max(max_kwh, card.energy_j / kJoulesPerKwh);
    max_kg = std::max(max_kg, card.carbon_g / kGramsPerKg);
  }
  for (const ReportCard& card : report.cards) {
    html += fmt::format(
        "<tr data-gpu=\"{0}\"><td>{0}</td><td>{1}</td><td>{2}</td><td>{3}</td>"
        "<td data-column=\"energy_kwh\">{4}</td><td data-column=\"unattributed_kwh\">{5}</td>"
        "<td>{6}</td><td>{7}</td><td data-column=\"carbon_kg\">{8}</td></tr>\n",
        html_escape(card.gpu_uuid), html_escape(card.gpu_model), card.frames,
        card.frames_without_power, fixed(card.energy_j / kJoulesPerKwh, decimals_for(max_kwh)),
        fixed(card.unattributed_j / kJoulesPerKwh, decimals_for(max_kwh)),
        fixed(card.mean_power_w, 1), fixed(card.peak_power_w, 1),
        fixed(card.carbon_g / kGramsPerKg, decimals_for(max_kg)));
  }
  html += "</tbody>\n</table>\n";
  return html;
}

}  // namespace

void write_report_html(std::ostream& out, const Report& report) {
  const std::string group_word = heading_for(report.settings.group_by);
  std::string body = "<header><h1>GPU energy and carbon by " + group_word + "</h1>\n";
  body += facts(report);
  body += "</header>\n<main>\n";
  body += tiles(report);

  nlohmann::json plots = nlohmann::json::array();
  body += "<section><h2>Power</h2>\n";
  for (const ReportCard& card : report.cards) {
    const std::size_t drawn = card.power.t.size();
    const std::size_t with_power = card.frames - card.frames_without_power;
    std::string note = fmt::format(
        "Each instance's attributed power, stacked; the line is the card's measured power. "
        "{} of {} frames drawn",
        drawn, with_power);
    if (drawn < with_power) {
      note +=
          " (min–max decimation: in each stretch of time, the frames of lowest and highest "
          "card power); every total is from every frame";
    }
    body += plot_div(plots.size(), fmt::format("GPU {} ({}), W", card.gpu_uuid, card.gpu_model),
                     note + ".");
    plots.push_back(card_plot(card));
  }
  body += "</section>\n";

  std::vector<double> energy;
  std::vector<double> carbon;
  std::vector<double> market;
  for (const ReportGroup& group : report.groups) {
    energy.push_back(group.energy_j / kJoulesPerKwh);
    carbon.push_back(group.carbon_g / kGramsPerKg);
    market.push_back(group.market_carbon_g.value_or(0.0) / kGramsPerKg);
  }
  body += "<section><h2>Energy and carbon by " + group_word + "</h2>\n<div class=\"pair\">\n";
  body += plot_div(plots.size(), "Energy, kWh", "");
  plots.push_back(bars_plot(report, "Energy", "kWh", {{"energy", energy}}));
  std::vector<std::pair<std::string, std::vector<double>>> carbon_series = {
      {"location-based", carbon}};
  if (report.market_carbon_g) carbon_series.emplace_back("market-based", market);
  body += plot_div(plots.size(), "Carbon, kg CO2e", "");
  plots.push_back(bars_plot(report, "Carbon", "kg CO2e", carbon_series));
  body += "</div>\n</section>\n";

  body += "<section><h2>By " + group_word + "</h2>\n" + group_table(report) + "</section>\n";
  body += "<section><h2>Cards</h2>\n" + card_table(report) + "</section>\n</main>\n";
  body += fmt::format(
      "<footer>Made by migpower 0.1.0 with uPlot {} (MIT licence), both inlined: this page "
      "loads nothing from anywhere.</footer>",
      report_uplot_version());
  write_html_page(out, "migpower report: " + report.info.source, body,
                  nlohmann::json{{"page", "report"}, {"plots", std::move(plots)}});
}

}  // namespace migpower
