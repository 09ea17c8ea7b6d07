#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "export/report_decimate.hpp"
#include "export/report_source.hpp"

namespace migpower {

// What a report's rows are.
enum class ReportGrouping {
  instance,  // one row per MIG instance (card, GPU instance id and profile)
  tenant,    // by tenant: an instance's workload label, else "GPU_UUID/GPU_I_ID"
  gpu,       // one row per card, its unattributed energy included
};
[[nodiscard]] std::string_view to_string(ReportGrouping grouping);
// Throws InputError naming the accepted values.
[[nodiscard]] ReportGrouping parse_report_grouping(std::string_view text);

// The world average that CodeCarbon also falls back to (IEA, 2019): a placeholder, stated as
// such on every report that uses it, for when the grid's own intensity is not given.
inline constexpr double kDefaultCarbonGPerKwh = 475.0;
// A common server lifetime, the Software Carbon Intensity specification's own examples' choice.
inline constexpr double kDefaultLifetimeYears = 4.0;

struct ReportSettings {
  ReportGrouping group_by = ReportGrouping::tenant;
  // Location-based intensity for intervals whose source recorded none, and where it came from.
  double carbon_g_per_kwh = kDefaultCarbonGPerKwh;
  std::string carbon_source;  // empty: none, or the default's own description
  std::optional<double> market_carbon_g_per_kwh;
  std::optional<double> price_per_kwh;
  std::string currency;  // a label for the price, e.g. "EUR"; may be empty
  // Software Carbon Intensity (Green Software Foundation): embodied carbon of the whole card and
  // its lifetime, shared by time and by the compute slices an instance holds.
  std::optional<double> embodied_kgco2e;
  double lifetime_years = kDefaultLifetimeYears;
  std::size_t plot_points = 3000;  // at most about this many points per plotted line
  // The period asked for (nullopt: open), stated on the report beside the frames' own span.
  std::optional<double> from_s;
  std::optional<double> to_s;
};

// One row of a report: a group's energy, power, carbon and cost over the period.
struct ReportGroup {
  std::string name;
  bool unattributed = false;         // the row of energy the idle policy left to nobody
  std::vector<std::string> members;  // the instances in it, "GPU_UUID/GPU_I_ID profile"
  std::size_t instants = 0;          // instants with measured power at which it was present
  double energy_j = 0.0;
  double static_energy_j = 0.0;
  double dynamic_energy_j = 0.0;
  // One sd of energy_j from the method's per-frame sds, taken as fully correlated in time (the
  // errors of a learnt model are), so an upper bound; nullopt when the method gives none.
  std::optional<double> energy_sd_j;
  double share_pct = 0.0;  // of the measured energy of every card in the report
  double mean_power_w = 0.0;
  double peak_power_w = 0.0;
  double carbon_g = 0.0;                  // location-based
  std::optional<double> market_carbon_g;  // when every interval has a market-based intensity
  std::optional<double> cost;             // when a price was given
  std::optional<double> embodied_g;       // the embodied share, with --embodied-kgco2e
  std::optional<double> sci_g;            // operational (location-based) + embodied
};

// A card's measured totals, and its power decimated for drawing.
struct ReportCard {
  std::string gpu_uuid;
  std::string gpu_model;
  std::size_t frames = 0;
  std::size_t frames_without_power = 0;
  double first_s = 0.0;
  double last_s = 0.0;
  double energy_j = 0.0;  // measured
  double unattributed_j = 0.0;
  double mean_power_w = 0.0;
  double peak_power_w = 0.0;
  double carbon_g = 0.0;
  std::optional<double> market_carbon_g;
  std::optional<double> cost;
  // The plot: instance labels, then columns card power, unattributed power, one per instance.
  std::vector<std::string> instance_labels;
  DecimatedSeries power;
};

struct Report {
  ReportSourceInfo info;
  ReportSettings settings;
  std::vector<ReportGroup> groups;  // by energy, largest first; the unattributed row last
  std::vector<ReportCard> cards;    // in order of first appearance
  std::size_t frames = 0;
  std::size_t intervals_with_source_carbon = 0;  // intervals whose source gave an intensity
  std::size_t intervals = 0;
  double first_s = 0.0;
  double last_s = 0.0;
  double energy_j = 0.0;  // measured, every card
  double carbon_g = 0.0;
  std::optional<double> market_carbon_g;
  std::optional<double> cost;
  std::optional<double> uncertainty_energy_j;  // fully correlated upper bound, every card

  [[nodiscard]] bool has_uncertainty() const;
  [[nodiscard]] bool has_unattributed() const;
};

// Reads every frame of `source` and sums it into a report: the totals come from every frame,
// only the plots are decimated.
[[nodiscard]] Report build_report(ReportSource& source, const ReportSettings& settings);

// How the location-based intensity is described on the report ("475 g CO2e/kWh, ...").
[[nodiscard]] std::string carbon_source_text(const Report& report);

}  // namespace migpower
