#include "export/report_columns.hpp"

#include <array>

#include "core/energy_units.hpp"

namespace migpower {
namespace {

constexpr double kGramsPerKg = 1000.0;

std::optional<double> kwh(double joules) { return joules / kJoulesPerKwh; }
std::optional<double> kg(const std::optional<double>& grams) {
  if (!grams) return std::nullopt;
  return *grams / kGramsPerKg;
}

bool always(const Report& /*report*/) { return true; }

const std::array<ReportColumn, 12> kColumns = {{
    {"energy_kwh", "energy kWh", 6, [](const ReportGroup& g) { return kwh(g.energy_j); }, always},
    {"static_kwh", "static kWh", 6, [](const ReportGroup& g) { return kwh(g.static_energy_j); },
     always},
    {"dynamic_kwh", "dynamic kWh", 6, [](const ReportGroup& g) { return kwh(g.dynamic_energy_j); },
     always},
    {"energy_sd_kwh", "&plusmn; kWh (1 sd)", 6,
     [](const ReportGroup& g) -> std::optional<double> {
       if (!g.energy_sd_j) return std::nullopt;
       return kwh(*g.energy_sd_j);
     },
     [](const Report& r) { return r.has_uncertainty(); }},
    {"share_pct", "share %", 3,
     [](const ReportGroup& g) -> std::optional<double> { return g.share_pct; }, always},
    {"mean_power_w", "mean W", 3,
     [](const ReportGroup& g) -> std::optional<double> { return g.mean_power_w; }, always},
    {"peak_power_w", "peak W", 3,
     [](const ReportGroup& g) -> std::optional<double> { return g.peak_power_w; }, always},
    {"carbon_kg", "carbon kg CO2e", 6, [](const ReportGroup& g) { return kg(g.carbon_g); }, always},
    {"market_carbon_kg", "market-based kg CO2e", 6,
     [](const ReportGroup& g) { return kg(g.market_carbon_g); },
     [](const Report& r) { return r.market_carbon_g.has_value(); }},
    {"cost", "cost", 6, [](const ReportGroup& g) { return g.cost; },
     [](const Report& r) { return r.cost.has_value(); }},
    {"embodied_kg", "embodied kg CO2e", 6, [](const ReportGroup& g) { return kg(g.embodied_g); },
     [](const Report& r) { return r.settings.embodied_kgco2e.has_value(); }},
    {"sci_kg", "SCI kg CO2e", 6, [](const ReportGroup& g) { return kg(g.sci_g); },
     [](const Report& r) { return r.settings.embodied_kgco2e.has_value(); }},
}};

}  // namespace

std::span<const ReportColumn> report_columns() { return kColumns; }

}  // namespace migpower
