#include <iostream>
#include <memory>

#include "attribution/attributor.hpp"
#include "attribution/method_factory.hpp"
#include "cli/commands.hpp"
#include "cli/method_options.hpp"
#include "cli/output.hpp"
#include "cli/progress.hpp"
#include "cli/source_options.hpp"
#include "cli/usage_error.hpp"
#include "export/attribution_csv.hpp"
#include "export/energy_report.hpp"
#include "ledger/energy_ledger.hpp"
#include "telemetry/prefetching_source.hpp"

namespace migpower::cli {
namespace {

struct AttributeOptions {
  SourceOptions source;
  MethodOptions method;
  std::string format = "table";
  std::string out;
};

int attribute(const AttributeOptions& options) {
  if (options.format != "table" && options.format != "csv" && options.format != "json") {
    throw UsageError("--format must be table, csv or json, not '" + options.format + "'");
  }
  const MethodChoice method = to_method_choice(options.method);
  Attributor attributor = make_attributor(method);
  OpenedSource source(options.source);
  Output output(options.out);
  EnergyLedger ledger;
  const ReportLabels labels{source.name(), method_label(method),
                            std::string(to_string(method.idle_policy))};
  std::unique_ptr<AttributionCsvWriter> csv;
  if (options.format == "csv") {
    csv =
        std::make_unique<AttributionCsvWriter>(output.stream(), labels.method, labels.idle_policy);
  }
  Progress progress("attribute");
  PrefetchingSource frames(source.frames());  // parse on one core, attribute on the other
  Frame frame;
  FrameAttribution attribution;
  while (frames.next(frame)) {
    attributor.attribute(frame, attribution);
    ledger.add(frame, attribution);
    if (csv) csv->write(frame, attribution);
    progress.tick();
  }
  if (csv) csv->flush();
  if (options.format == "table") print_energy_table(output.stream(), ledger, labels);
  if (options.format == "json") output.stream() << energy_json(ledger, labels) << "\n";
  output.close();
  source.report_skipped();
  return 0;
}

}  // namespace

void add_attribute_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<AttributeOptions>();
  CLI::App* command = app.add_subcommand(
      "attribute", "Split each card's measured power among its MIG instances and integrate energy");
  add_source_options(*command, options->source);
  add_method_options(*command, options->method);
  command
      ->add_option("--format", options->format,
                   "table: per-instance energy summary; csv: one row per instance per frame; "
                   "json: the summary for machines")
      ->capture_default_str();
  command->add_option("--out,-o", options->out, "Write here instead of stdout")->type_name("FILE");
  command->footer(
      "Examples:\n"
      "  migpower attribute trace.csv\n"
      "  migpower attribute trace.csv --method slices --format csv --out shares.csv\n"
      "  migpower attribute --scenario mixed --idle-policy none");
  command->callback([options, &action] { action = [options] { return attribute(*options); }; });
}

}  // namespace migpower::cli
