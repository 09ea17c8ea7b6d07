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
#include "export/process_csv.hpp"
#include "export/process_report.hpp"
#include "ledger/energy_ledger.hpp"
#include "ledger/process_attribution.hpp"
#include "sources/prefetching_source.hpp"

namespace migpower::cli {
namespace {

struct AttributeOptions {
  SourceOptions source;
  MethodOptions method;
  std::string format = "table";
  std::string out;
  std::string processes;    // the side file of record --processes
  std::string process_csv;  // where the per-frame process rows go
};

int attribute(const AttributeOptions& options) {
  if (options.format != "table" && options.format != "csv" && options.format != "json") {
    throw UsageError("--format must be table, csv or json, not '" + options.format + "'");
  }
  if (!options.process_csv.empty() && options.processes.empty()) {
    throw UsageError("--process-csv needs --processes (the side file of 'record --processes')");
  }
  if (!options.processes.empty() && options.format == "csv" && options.process_csv.empty()) {
    throw UsageError(
        "--processes with --format csv needs --process-csv FILE for the per-process rows");
  }
  if (!options.process_csv.empty() &&
      (options.process_csv == options.out || (options.process_csv == "-" && options.out.empty()))) {
    throw UsageError("--process-csv needs a file of its own, apart from --out");
  }
  const MethodChoice method = to_method_choice(options.method);
  Attributor attributor = make_attributor(method);
  OpenedSource source(options.source);
  std::unique_ptr<ProcessAttribution> processes;
  if (!options.processes.empty())
    processes = std::make_unique<ProcessAttribution>(options.processes);
  Output output(options.out);
  EnergyLedger ledger;
  const ReportLabels labels{source.name(), method_label(method),
                            std::string(to_string(method.idle_policy))};
  std::unique_ptr<AttributionCsvWriter> csv;
  if (options.format == "csv") {
    csv =
        std::make_unique<AttributionCsvWriter>(output.stream(), labels.method, labels.idle_policy);
  }
  std::unique_ptr<Output> process_output;
  std::unique_ptr<ProcessCsvWriter> process_csv;
  if (!options.process_csv.empty()) {
    process_output = std::make_unique<Output>(options.process_csv);
    process_csv = std::make_unique<ProcessCsvWriter>(process_output->stream(), labels.method,
                                                     labels.idle_policy);
  }
  Progress progress("attribute");
  PrefetchingSource frames(source.frames());  // parse on one core, attribute on the other
  Frame frame;
  FrameAttribution attribution;
  while (frames.next(frame)) {
    attributor.attribute(frame, attribution);
    ledger.add(frame, attribution);
    if (processes) processes->add(frame, attribution, ledger);
    if (process_csv) process_csv->write(frame, processes->split());
    if (csv) csv->write(frame, attribution);
    progress.tick();
  }
  if (csv) csv->flush();
  if (process_csv) {
    process_csv->flush();
    process_output->close();
  }
  ProcessFileSummary process_file;
  if (processes) {
    process_file = processes->finish(ledger);
    for (const std::string& warning : processes->warnings())
      std::cerr << "migpower: warning: " << warning << "\n";
  }
  if (options.format == "table") {
    print_energy_table(output.stream(), ledger, labels);
    if (processes) print_process_table(output.stream(), ledger, processes->ledger(), process_file);
  }
  if (options.format == "json") {
    output.stream() << (processes ? energy_json_with_processes(ledger, processes->ledger(),
                                                               process_file, labels)
                                  : energy_json(ledger, labels))
                    << "\n";
  }
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
  command
      ->add_option("--processes", options->processes,
                   "Also split each instance's energy among the processes running in it, from "
                   "the side file of 'record --processes': the table and json gain per-process "
                   "energy")
      ->type_name("FILE");
  command
      ->add_option("--process-csv", options->process_csv,
                   "With --processes: also write one row per process per frame (and the part "
                   "of each instance no process held) as CSV here")
      ->type_name("FILE");
  command->footer(
      "Examples:\n"
      "  migpower attribute trace.csv\n"
      "  migpower attribute trace.csv --method slices --format csv --out shares.csv\n"
      "  migpower attribute node1.csv --processes node1-processes.csv\n"
      "  migpower attribute node1.csv --processes node1-processes.csv --process-csv per-pid.csv\n"
      "  migpower attribute --scenario mixed --idle-policy none");
  command->callback([options, &action] { action = [options] { return attribute(*options); }; });
}

}  // namespace migpower::cli
