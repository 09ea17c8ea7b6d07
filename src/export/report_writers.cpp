#include "export/report_writers.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <string>

#include "core/csv_cell.hpp"
#include "export/report_columns.hpp"
#include "trace/time_text.hpp"

namespace migpower {
namespace {

std::string members_text(const ReportGroup& group) {
  std::string text;
  for (const std::string& member : group.members) {
    if (!text.empty()) text += ';';
    text += member;
  }
  return text;
}

nlohmann::json number_or_null(const std::optional<double>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

void write_report_csv(std::ostream& out, const Report& report) {
  std::string text = "group_by,group,members,instants";
  for (const ReportColumn& column : report_columns()) {
    text += ',';
    text += column.name;
  }
  text += ",from,to,method,idle_policy\n";
  const std::string from = format_rfc3339(report.first_s);
  const std::string to = format_rfc3339(report.last_s);
  for (const ReportGroup& group : report.groups) {
    text += to_string(report.settings.group_by);
    text += ',';
    append_csv_cell(text, group.name);
    text += ',';
    append_csv_cell(text, members_text(group));
    text += ',';
    text += std::to_string(group.instants);
    for (const ReportColumn& column : report_columns()) {
      text += ',';
      const std::optional<double> value = column.value(group);
      if (value) text += fmt::format("{:.{}f}", *value, column.csv_decimals);
    }
    text.append(1, ',').append(from).append(1, ',').append(to).append(1, ',');
    append_csv_cell(text, report.info.method);
    text += ',';
    append_csv_cell(text, report.info.idle_policy);
    text += '\n';
  }
  out << text;
}

nlohmann::json report_json(const Report& report) {
  const ReportSettings& settings = report.settings;
  nlohmann::json groups = nlohmann::json::array();
  for (const ReportGroup& group : report.groups) {
    nlohmann::json entry = {{"group", group.name},
                            {"unattributed", group.unattributed},
                            {"members", group.members},
                            {"instants", group.instants},
                            {"energy_j", group.energy_j},
                            {"static_energy_j", group.static_energy_j},
                            {"dynamic_energy_j", group.dynamic_energy_j},
                            {"energy_sd_j", number_or_null(group.energy_sd_j)},
                            {"carbon_g", group.carbon_g},
                            {"market_carbon_g", number_or_null(group.market_carbon_g)},
                            {"cost", number_or_null(group.cost)},
                            {"embodied_g", number_or_null(group.embodied_g)},
                            {"sci_g", number_or_null(group.sci_g)}};
    for (const ReportColumn& column : report_columns()) {
      entry[std::string(column.name)] = number_or_null(column.value(group));
    }
    groups.push_back(std::move(entry));
  }
  nlohmann::json cards = nlohmann::json::array();
  for (const ReportCard& card : report.cards) {
    cards.push_back({{"gpu_uuid", card.gpu_uuid},
                     {"gpu_model", card.gpu_model},
                     {"frames", card.frames},
                     {"frames_without_power", card.frames_without_power},
                     {"from", format_rfc3339(card.first_s)},
                     {"to", format_rfc3339(card.last_s)},
                     {"energy_j", card.energy_j},
                     {"unattributed_j", card.unattributed_j},
                     {"mean_power_w", card.mean_power_w},
                     {"peak_power_w", card.peak_power_w},
                     {"carbon_g", card.carbon_g},
                     {"market_carbon_g", number_or_null(card.market_carbon_g)},
                     {"cost", number_or_null(card.cost)}});
  }
  auto optional_time = [](const std::optional<double>& t) {
    return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
  };
  return {
      {"source", report.info.source},
      {"method", report.info.method},
      {"idle_policy", report.info.idle_policy},
      {"group_by", to_string(settings.group_by)},
      {"from", format_rfc3339(report.first_s)},
      {"to", format_rfc3339(report.last_s)},
      {"requested_from", optional_time(settings.from_s)},
      {"requested_to", optional_time(settings.to_s)},
      {"frames", report.frames},
      {"carbon_g_per_kwh", settings.carbon_g_per_kwh},
      {"carbon_source", carbon_source_text(report)},
      {"market_carbon_g_per_kwh", number_or_null(settings.market_carbon_g_per_kwh)},
      {"price_per_kwh", number_or_null(settings.price_per_kwh)},
      {"currency", settings.currency},
      {"embodied_kgco2e", number_or_null(settings.embodied_kgco2e)},
      {"lifetime_years", settings.embodied_kgco2e ? nlohmann::json(settings.lifetime_years)
                                                  : nlohmann::json(nullptr)},
      {"energy_j", report.energy_j},
      {"carbon_g", report.carbon_g},
      {"market_carbon_g", number_or_null(report.market_carbon_g)},
      {"cost", number_or_null(report.cost)},
      {"energy_sd_j", number_or_null(report.uncertainty_energy_j)},
      {"cards", std::move(cards)},
      {"groups", std::move(groups)},
  };
}

}  // namespace migpower
