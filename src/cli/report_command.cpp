#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "attribution/method_factory.hpp"
#include "cli/commands.hpp"
#include "cli/method_options.hpp"
#include "cli/output.hpp"
#include "cli/source_options.hpp"
#include "cli/time_option.hpp"
#include "cli/usage_error.hpp"
#include "core/error.hpp"
#include "export/report_attributed_source.hpp"
#include "export/report_builder.hpp"
#include "export/report_ledger_source.hpp"
#include "export/report_writers.hpp"
#include "ledger/open_ledger.hpp"
#include "ledger/postgres_ledger.hpp"

namespace migpower::cli {
namespace {

struct ReportOptions {
  SourceOptions source;
  MethodOptions method;
  std::string from;
  std::string to;
  std::string group_by = "tenant";
  std::string format = "html";
  std::string out;
  std::optional<double> carbon_g_per_kwh;
  std::string carbon_source;
  std::optional<double> market_carbon_g_per_kwh;
  std::optional<double> price_per_kwh;
  std::string currency;
  std::optional<double> embodied_kgco2e;
  double lifetime_years = kDefaultLifetimeYears;
  std::size_t plot_points = ReportSettings{}.plot_points;
};

bool is_ledger(const std::string& source) {
  return is_postgres_url(source) || source.ends_with(".db") || source.ends_with(".sqlite") ||
         source.ends_with(".sqlite3");
}

// The stored buckets of a ledger (a SQLite file or a PostgreSQL URL) in the period.
std::vector<BucketBatch> read_ledger(const std::string& source, const ReportSettings& settings) {
  return open_ledger(source)->read(settings.from_s, settings.to_s);
}

ReportSettings to_settings(const ReportOptions& options) {
  ReportSettings settings;
  settings.group_by = parse_report_grouping(options.group_by);
  settings.carbon_source = options.carbon_source;
  if (options.carbon_g_per_kwh) {
    settings.carbon_g_per_kwh = *options.carbon_g_per_kwh;
    if (settings.carbon_source.empty()) settings.carbon_source = "--carbon-intensity";
  }
  settings.market_carbon_g_per_kwh = options.market_carbon_g_per_kwh;
  settings.price_per_kwh = options.price_per_kwh;
  settings.currency = options.currency;
  settings.embodied_kgco2e = options.embodied_kgco2e;
  settings.lifetime_years = options.lifetime_years;
  settings.plot_points = options.plot_points;
  settings.from_s = parse_time_option(options.from, "--from");
  settings.to_s = parse_time_option(options.to, "--to");
  if (settings.from_s && settings.to_s && *settings.to_s < *settings.from_s) {
    throw UsageError("--to is before --from");
  }
  return settings;
}

int write_report(const Report& report, const ReportOptions& options) {
  if (report.frames == 0) {
    throw InputError(report.info.source + ": no frames in the period asked for");
  }
  Output output(options.out);
  if (options.format == "html") write_report_html(output.stream(), report);
  if (options.format == "csv") write_report_csv(output.stream(), report);
  if (options.format == "json") output.stream() << report_json(report).dump(2) << "\n";
  output.close();
  return 0;
}

int report_command(const ReportOptions& options) {
  if (options.format != "html" && options.format != "csv" && options.format != "json") {
    throw UsageError("--format must be html, csv or json, not '" + options.format + "'");
  }
  ReportSettings settings;
  try {
    settings = to_settings(options);
  } catch (const InputError& e) {
    throw UsageError(e.what());  // a flag's value, not a file's content
  }
  if (is_ledger(options.source.trace)) {
    LedgerReportSource ledger(read_ledger(options.source.trace, settings),
                              ReportSourceInfo{without_password(options.source.trace), "", ""});
    return write_report(build_report(ledger, settings), options);
  }
  const MethodChoice method = to_method_choice(options.method);
  OpenedSource opened(options.source);
  AttributedReportSource source(opened.frames(), make_attributor(method),
                                ReportSourceInfo{opened.name(), method_label(method),
                                                 std::string(to_string(method.idle_policy))},
                                ReportPeriod{settings.from_s, settings.to_s});
  const int status = write_report(build_report(source, settings), options);
  opened.report_skipped();
  return status;
}

}  // namespace

void add_report_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<ReportOptions>();
  CLI::App* command = app.add_subcommand(
      "report",
      "Energy, carbon and cost per tenant, instance or card over a period, as one self-contained "
      "HTML page (plots and tables, works offline), CSV or JSON");
  add_source_options(*command, options->source);
  add_method_options(*command, options->method);
  command->add_option("--from", options->from, "Start of the period (unix seconds or RFC 3339)")
      ->type_name("TIME");
  command->add_option("--to", options->to, "End of the period (unix seconds or RFC 3339)")
      ->type_name("TIME");
  command
      ->add_option("--group-by", options->group_by,
                   "instance, tenant (an instance's workload label, else GPU_UUID/GPU_I_ID) or "
                   "gpu")
      ->capture_default_str();
  command->add_option("--format", options->format, "html, csv or json")->capture_default_str();
  command->add_option("--out,-o", options->out, "Write here instead of stdout")->type_name("FILE");
  command
      ->add_option("--carbon-intensity", options->carbon_g_per_kwh,
                   "Location-based grid intensity, g CO2e/kWh (default 475, the world average "
                   "CodeCarbon falls back to: a placeholder, stated as such on the report)")
      ->type_name("G_PER_KWH")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--carbon-source", options->carbon_source,
                   "Where the intensity comes from, printed on the report")
      ->type_name("TEXT");
  command
      ->add_option("--market-carbon-intensity", options->market_carbon_g_per_kwh,
                   "Market-based intensity (contracts, certificates), g CO2e/kWh")
      ->type_name("G_PER_KWH")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--price", options->price_per_kwh, "Electricity price per kWh: adds cost")
      ->type_name("PER_KWH")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--currency", options->currency, "Label for --price, e.g. EUR")
      ->type_name("TEXT");
  command
      ->add_option("--embodied-kgco2e", options->embodied_kgco2e,
                   "Embodied carbon of the whole card: adds the Software Carbon Intensity "
                   "(operational + the embodied share by time and slices held)")
      ->type_name("KG")
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--lifetime-years", options->lifetime_years,
                   "The card's expected lifetime, for the embodied share")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--plot-points", options->plot_points,
                   "At most about this many points per plotted line (totals use every frame)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{16}, std::size_t{1000000}));
  command->footer(
      "Examples:\n"
      "  migpower report trace.csv --out report.html\n"
      "  migpower report trace.csv --group-by instance --format csv --out report.csv\n"
      "  migpower report trace.csv --from 2026-11-01T00:00:00Z --to 2026-11-02T00:00:00Z \\\n"
      "      --carbon-intensity 350 --price 0.25 --currency EUR --out november-1.html\n"
      "  migpower report --scenario mixed --embodied-kgco2e 1500 --out mixed.html");
  command->callback(
      [options, &action] { action = [options] { return report_command(*options); }; });
}

}  // namespace migpower::cli
