#include "export/energy_sums.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/csv_cell.hpp"
#include "core/energy_units.hpp"
#include "trace/time_text.hpp"

namespace migpower {
namespace {

std::optional<double> scaled(const std::optional<double>& value, double factor) {
  if (!value) return std::nullopt;
  return *value * factor;
}

// The numeric columns, shared by JSON, CSV and the table so that they cannot drift apart.
struct EnergyColumn {
  const char* name;     // JSON key and CSV header
  const char* heading;  // the table's, with the unit ("" : not in the table)
  int decimals;
  std::optional<double> (*value)(const EnergySum& sum);
};

constexpr EnergyColumn kColumns[] = {
    {"energy_kwh", "energy kWh", 6,
     [](const EnergySum& s) -> std::optional<double> { return s.energy_j / kJoulesPerKwh; }},
    {"energy_j", "energy J", 1,
     [](const EnergySum& s) -> std::optional<double> { return s.energy_j; }},
    {"static_j", "", 1, [](const EnergySum& s) -> std::optional<double> { return s.static_j; }},
    {"dynamic_j", "", 1, [](const EnergySum& s) -> std::optional<double> { return s.dynamic_j; }},
    {"carbon_location_g", "carbon g", 3, [](const EnergySum& s) { return s.carbon_location_g; }},
    {"carbon_location_kg", "carbon kg", 6,
     [](const EnergySum& s) { return scaled(s.carbon_location_g, 1e-3); }},
    {"carbon_market_g", "", 3, [](const EnergySum& s) { return s.carbon_market_g; }},
    {"carbon_market_kg", "market carbon kg", 6,
     [](const EnergySum& s) { return scaled(s.carbon_market_g, 1e-3); }},
    {"cost", "cost", 4, [](const EnergySum& s) { return s.cost; }},
    {"energy_without_carbon_kwh", "", 6,
     [](const EnergySum& s) -> std::optional<double> {
       return s.energy_without_carbon_j / kJoulesPerKwh;
     }},
};

std::string number(const std::optional<double>& value, int decimals) {
  return value ? fmt::format("{:.{}f}", *value, decimals) : std::string();
}

}  // namespace

EnergySum energy_total(const std::vector<EnergySum>& sums) {
  EnergySum total;
  const auto add = [](std::optional<double>& to, const std::optional<double>& value) {
    if (value) to = to.value_or(0.0) + *value;
  };
  for (const EnergySum& sum : sums) {
    total.energy_j += sum.energy_j;
    total.static_j += sum.static_j;
    total.dynamic_j += sum.dynamic_j;
    add(total.carbon_location_g, sum.carbon_location_g);
    add(total.carbon_market_g, sum.carbon_market_g);
    add(total.cost, sum.cost);
    if (!sum.currency.empty()) {
      total.currency =
          total.currency.empty() || total.currency == sum.currency ? sum.currency : "mixed";
    }
    total.energy_without_carbon_j += sum.energy_without_carbon_j;
    total.first_s = total.segments == 0 ? sum.first_s : std::min(total.first_s, sum.first_s);
    total.last_s = total.segments == 0 ? sum.last_s : std::max(total.last_s, sum.last_s);
    total.segments += sum.segments;
  }
  return total;
}

std::string energy_json(const EnergyAnswer& answer) {
  const std::vector<std::string> keys = grouping_keys(answer.query.group_by);
  const auto row = [&](const EnergySum& sum) {
    nlohmann::ordered_json entry = nlohmann::ordered_json::object();
    for (std::size_t k = 0; k < sum.key.size() && k < keys.size(); ++k) {
      entry[keys[k]] = keys[k] == "gpu_i_id" ? nlohmann::ordered_json(std::stoi(sum.key[k]))
                                             : nlohmann::ordered_json(sum.key[k]);
    }
    for (const EnergyColumn& column : kColumns) {
      const std::optional<double> value = column.value(sum);
      entry[column.name] = value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
    }
    entry["currency"] = sum.currency;
    entry["segments"] = sum.segments;
    entry["first_bucket_start"] = sum.segments > 0 ? format_rfc3339(sum.first_s) : "";
    entry["last_bucket_end"] = sum.segments > 0 ? format_rfc3339(sum.last_s) : "";
    return entry;
  };
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const EnergySum& sum : answer.sums) rows.push_back(row(sum));
  const auto time = [](const std::optional<double>& t) {
    return t ? nlohmann::ordered_json(format_rfc3339(*t)) : nlohmann::ordered_json(nullptr);
  };
  const nlohmann::ordered_json out = {
      {"ledger", answer.ledger},
      {"from", time(answer.query.from_s)},
      {"to", time(answer.query.to_s)},
      {"group_by", std::string(grouping_name(answer.query.group_by))},
      {"rows", rows},
      {"total", row(energy_total(answer.sums))}};
  return out.dump(2);
}

void write_energy_csv(std::ostream& out, const EnergyAnswer& answer) {
  std::string text;
  for (const std::string& key : grouping_keys(answer.query.group_by)) text += key + ',';
  for (const EnergyColumn& column : kColumns) text += std::string(column.name) + ',';
  text += "currency,segments,first_bucket_start,last_bucket_end\n";
  for (const EnergySum& sum : answer.sums) {
    for (const std::string& value : sum.key) {
      append_csv_cell(text, value);
      text += ',';
    }
    for (const EnergyColumn& column : kColumns) {
      text += number(column.value(sum), column.decimals) + ',';
    }
    append_csv_cell(text, sum.currency);
    text += fmt::format(",{},{},{}\n", sum.segments, format_rfc3339(sum.first_s),
                        format_rfc3339(sum.last_s));
  }
  out << text;
}

void write_energy_table(std::ostream& out, const EnergyAnswer& answer) {
  const std::vector<std::string> keys = grouping_keys(answer.query.group_by);
  const EnergySum total = energy_total(answer.sums);
  // Columns that would be empty in every row (no market series, no price) are left out.
  std::vector<const EnergyColumn*> columns;
  for (const EnergyColumn& column : kColumns) {
    if (*column.heading != '\0' && column.value(total)) columns.push_back(&column);
  }
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> heading = keys;
  for (const EnergyColumn* column : columns) {
    std::string name = column->heading;
    if (std::string_view(column->name) == "cost" && !total.currency.empty()) {
      name += " " + total.currency;
    }
    heading.push_back(name);
  }
  cells.push_back(heading);
  const auto add_row = [&](const EnergySum& sum, bool is_total) {
    std::vector<std::string> line;
    for (std::size_t k = 0; k < keys.size(); ++k) {
      if (is_total) {
        line.emplace_back(k == 0 ? "total" : "");
      } else {
        line.push_back(sum.key.at(k).empty() ? "(none)" : sum.key.at(k));
      }
    }
    for (const EnergyColumn* column : columns) {
      line.push_back(number(column->value(sum), column->decimals));
    }
    cells.push_back(std::move(line));
  };
  for (const EnergySum& sum : answer.sums) add_row(sum, false);
  add_row(total, true);
  std::vector<std::size_t> width(heading.size(), 0);
  for (const auto& line : cells) {
    for (std::size_t c = 0; c < line.size(); ++c) width[c] = std::max(width[c], line[c].size());
  }
  std::string text = fmt::format(
      "ledger {}, {} to {}, by {}\n", answer.ledger,
      answer.query.from_s ? format_rfc3339(*answer.query.from_s) : std::string("the first bucket"),
      answer.query.to_s ? format_rfc3339(*answer.query.to_s) : std::string("the last"),
      grouping_name(answer.query.group_by));
  for (const auto& line : cells) {
    for (std::size_t c = 0; c < line.size(); ++c) {
      // Keys to the left, numbers to the right.
      text += c < keys.size() ? fmt::format("{:<{}}", line[c], width[c])
                              : fmt::format("{:>{}}", line[c], width[c]);
      text += c + 1 < line.size() ? "  " : "\n";
    }
  }
  if (total.energy_without_carbon_j > 0.0 && total.carbon_location_g) {
    text += fmt::format("note: {:.6f} kWh had no carbon intensity (a gap in the series)\n",
                        total.energy_without_carbon_j / kJoulesPerKwh);
  }
  out << text;
}

}  // namespace migpower
