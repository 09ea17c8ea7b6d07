#pragma once

#include <optional>
#include <string>
#include <vector>

namespace migpower {

// A value that holds over periods of time: a grid's carbon intensity (gCO2e/kWh) or an
// electricity price (per kWh). Constant, or read from a file:
//   - CSV with the header period_start,period_end and one value column (gco2e_per_kwh, or
//     lbs_per_mwh, converted to g/kWh; or price_per_kwh), optional zone, basis, source, currency
//     columns; times as RFC 3339 or Unix seconds;
//   - the history JSON of the Electricity Maps API ({"history": [{"carbonIntensity": 302,
//     "datetime": "..."}]}): each value holds until the next one's datetime, the last for an hour.
// A time that no period covers is a gap: at() answers nullopt and the caller says so (never 0).
class ValueSeries {
 public:
  enum class Kind { carbon, price };

  [[nodiscard]] static ValueSeries constant(double value, std::string source,
                                            std::string currency = {});
  // Throws InputError naming the file, line and field of the first problem.
  [[nodiscard]] static ValueSeries load(const std::string& path, Kind kind);

  [[nodiscard]] std::optional<double> at(double time_s) const;
  // Where the values come from: "constant 400 gCO2e/kWh", the file's name and its source column.
  [[nodiscard]] const std::string& source() const { return source_; }
  [[nodiscard]] const std::string& currency() const { return currency_; }
  [[nodiscard]] std::size_t periods() const { return periods_.size(); }

 private:
  struct Period {
    double start_s;
    double end_s;
    double value;
  };
  static void read_json(const std::string& text, const std::string& path, ValueSeries& series);
  static void read_csv(const std::string& text, const std::string& path, Kind kind,
                       ValueSeries& series);
  std::optional<double> constant_;
  std::vector<Period> periods_;  // sorted, not overlapping
  std::string source_;
  std::string currency_;
};

}  // namespace migpower
