#include "ledger/value_series.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "core/parse_number.hpp"
#include "trace/csv_split.hpp"
#include "trace/time_text.hpp"

namespace migpower {
namespace {

constexpr double kGramsPerPound = 453.59237;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

double time_field(const std::string& where, std::string_view text) {
  const auto t = parse_time_text(text);
  if (!t) {
    throw InputError(where + ": '" + std::string(text) +
                     "' is not a time (RFC 3339 or Unix seconds)");
  }
  return *t;
}

// The columns a CSV series reads, found in its header.
struct CsvColumns {
  int start = -1;
  int end = -1;
  int value = -1;
  int currency = -1;
  int source = -1;
  double scale = 1.0;  // to g/kWh (lbs_per_mwh) or 1
};

CsvColumns csv_columns(const std::vector<std::string>& header, ValueSeries::Kind kind,
                       const std::string& where) {
  CsvColumns columns;
  const bool carbon = kind == ValueSeries::Kind::carbon;
  for (std::size_t c = 0; c < header.size(); ++c) {
    const std::string& name = header[c];
    const int index = static_cast<int>(c);
    if (name == "period_start") columns.start = index;
    if (name == "period_end") columns.end = index;
    if (name == "currency") columns.currency = index;
    if (name == "source") columns.source = index;
    if ((carbon && name == "gco2e_per_kwh") || (!carbon && name == "price_per_kwh")) {
      columns.value = index;
    }
    if (carbon && name == "lbs_per_mwh") {
      columns.value = index;
      columns.scale = kGramsPerPound / 1000.0;  // lb/MWh -> g/kWh
    }
  }
  if (columns.start < 0 || columns.end < 0 || columns.value < 0) {
    throw InputError(where + ": the header needs period_start, period_end and " +
                     std::string(carbon ? "gco2e_per_kwh (or lbs_per_mwh)" : "price_per_kwh"));
  }
  return columns;
}

}  // namespace

ValueSeries ValueSeries::constant(double value, std::string source, std::string currency) {
  if (!std::isfinite(value) || value < 0.0) {
    throw InputError("a constant " + source + " must be a number >= 0");
  }
  ValueSeries series;
  series.constant_ = value;
  series.source_ = std::move(source);
  series.currency_ = std::move(currency);
  return series;
}

std::optional<double> ValueSeries::at(double time_s) const {
  if (constant_) return constant_;
  const auto after = std::upper_bound(periods_.begin(), periods_.end(), time_s,
                                      [](double t, const Period& p) { return t < p.start_s; });
  if (after == periods_.begin()) return std::nullopt;
  const Period& period = *std::prev(after);
  if (time_s >= period.end_s) return std::nullopt;
  return period.value;
}

ValueSeries ValueSeries::load(const std::string& path, Kind kind) {
  const std::string text = read_all(path);
  ValueSeries series;
  series.source_ = path;
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first != std::string::npos && text[first] == '{') {
    if (kind != Kind::carbon) throw InputError(path + ": a JSON file can only be a carbon series");
    read_json(text, path, series);
  } else {
    read_csv(text, path, kind, series);
  }
  if (series.periods_.empty()) throw InputError(path + ": no values");
  return series;
}

// Electricity Maps history JSON.
void ValueSeries::read_json(const std::string& text, const std::string& path, ValueSeries& series) {
  const nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded() || !document.contains("history") || !document["history"].is_array()) {
    throw InputError(path + ": expected Electricity Maps history JSON ({\"history\": [...]})");
  }
  const nlohmann::json& history = document["history"];
  for (std::size_t i = 0; i < history.size(); ++i) {
    const std::string where = path + ": history[" + std::to_string(i) + "]";
    const nlohmann::json& entry = history[i];
    if (!entry.is_object() || !entry.contains("datetime") || !entry["datetime"].is_string()) {
      throw InputError(where + ".datetime: missing");
    }
    if (!entry.contains("carbonIntensity") || !entry["carbonIntensity"].is_number()) {
      throw InputError(where + ".carbonIntensity: expected a number");
    }
    const double start = time_field(where + ".datetime", entry["datetime"].get<std::string>());
    series.periods_.push_back({start, start + 3600.0, entry["carbonIntensity"].get<double>()});
  }
  std::sort(series.periods_.begin(), series.periods_.end(),
            [](const Period& a, const Period& b) { return a.start_s < b.start_s; });
  for (std::size_t i = 0; i + 1 < series.periods_.size(); ++i) {
    series.periods_[i].end_s = series.periods_[i + 1].start_s;
  }
  if (document.contains("zone") && document["zone"].is_string()) {
    series.source_ += " (Electricity Maps, zone " + document["zone"].get<std::string>() + ")";
  }
}

void ValueSeries::read_csv(const std::string& text, const std::string& path, Kind kind,
                           ValueSeries& series) {
  std::istringstream lines(text);
  std::string line;
  std::vector<std::string_view> cells(16);
  std::string scratch;
  std::vector<std::string> header;
  CsvColumns columns;
  std::size_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const CsvSplit split = split_csv_record(line, cells, scratch);
    const std::size_t count = std::min(split.cells, cells.size());
    const std::string where = path + ":" + std::to_string(number);
    if (!split.error.empty()) {
      throw InputError(where + ": column " + std::to_string(split.error_cell + 1) + ": " +
                       std::string(split.error));
    }
    if (header.empty()) {
      for (std::size_t c = 0; c < count; ++c) header.emplace_back(cells[c]);
      columns = csv_columns(header, kind, where);
      continue;
    }
    const auto cell = [&](int index) {
      return index >= 0 && static_cast<std::size_t>(index) < count ? cells[index]
                                                                   : std::string_view();
    };
    const double from = time_field(where + ": period_start", cell(columns.start));
    const double to = time_field(where + ": period_end", cell(columns.end));
    const auto parsed = parse_double(cell(columns.value));
    if (!parsed || !std::isfinite(*parsed) || *parsed < 0.0) {
      throw InputError(where + ": " + header[static_cast<std::size_t>(columns.value)] + ": '" +
                       std::string(cell(columns.value)) + "' is not a number >= 0");
    }
    if (!(to > from)) throw InputError(where + ": period_end is not after period_start");
    if (!series.periods_.empty() && from < series.periods_.back().end_s) {
      throw InputError(where +
                       ": period_start is before the previous period's end (periods must be in "
                       "order and not overlap)");
    }
    series.periods_.push_back({from, to, *parsed * columns.scale});
    if (columns.currency >= 0 && series.currency_.empty()) {
      series.currency_ = std::string(cell(columns.currency));
    }
    if (columns.source >= 0 && series.source_ == path && !cell(columns.source).empty()) {
      series.source_ = path + " (" + std::string(cell(columns.source)) + ")";
    }
  }
  if (header.empty()) throw InputError(path + ": empty");
}

}  // namespace migpower
