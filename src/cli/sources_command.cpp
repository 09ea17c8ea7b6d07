#include <functional>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "sources/dcgm/dcgm_source.hpp"
#include "sources/nvml/nvml_source.hpp"
#include "sources/prometheus/dcgm_exporter_source.hpp"
#include "sources/source_report.hpp"

namespace migpower::cli {
namespace {

// What `migpower sources` is told on its command line; sources that need an address (a
// dcgm-exporter URL) add their option here.
struct SourcesOptions {
  std::vector<std::string> dcgm_exporter_urls;
};

SourceReport probe_dcgm_exporter_urls(const SourcesOptions& options) {
  if (options.dcgm_exporter_urls.empty()) {
    SourceReport report;
    report.source = "dcgm-exporter";
    report.detail = "no URL given: add --dcgm-exporter http://HOST:9400/metrics";
    return report;
  }
  DcgmExporterSourceOptions exporter;
  exporter.urls = options.dcgm_exporter_urls;
  return probe_dcgm_exporter(exporter);
}

// One row per live source: how to ask it what it sees. Add a source by adding a row.
struct SourceProbe {
  std::string name;
  std::function<SourceReport(const SourcesOptions&)> probe;
};

const std::vector<SourceProbe>& source_probes() {
  static const std::vector<SourceProbe> probes = {
      {"nvml", [](const SourcesOptions&) { return probe_nvml(); }},
      {"dcgm", [](const SourcesOptions&) { return probe_dcgm(); }},
      {"dcgm-exporter", probe_dcgm_exporter_urls},
  };
  return probes;
}

std::string slices_text(int compute, int memory) {
  return (compute > 0 ? std::to_string(compute) : std::string("?")) + "/" +
         (memory > 0 ? std::to_string(memory) : std::string("?"));
}

void print_card(std::ostream& out, const CardReport& card) {
  out << "  GPU " << card.uuid << "  " << (card.model.empty() ? "(name unknown)" : card.model)
      << "  MIG " << card.mig << "\n";
  if (!card.instances.empty()) {
    out << "    " << std::left << std::setw(10) << "gpu_i_id" << std::setw(14) << "profile"
        << std::setw(16) << "slices c/m" << std::setw(12) << "memory MiB"
        << "compute instances\n";
    for (const InstanceReport& instance : card.instances) {
      std::string cis;
      for (const int ci : instance.compute_instance_ids) {
        if (!cis.empty()) cis += ',';
        cis += std::to_string(ci);
      }
      out << "    " << std::setw(10) << instance.gpu_i_id << std::setw(14)
          << (instance.profile.empty() ? "?" : instance.profile) << std::setw(16)
          << slices_text(instance.compute_slices, instance.memory_slices) << std::setw(12)
          << (instance.memory_mib ? std::to_string(static_cast<long long>(*instance.memory_mib))
                                  : std::string("?"))
          << cis << "\n";
    }
  }
  out << std::left << "    fields:\n";  // also without MIG, where no table set it
  for (const FieldProvision& field : card.fields) {
    out << "      " << std::setw(38) << field.field << std::setw(5)
        << (field.provided ? "yes" : "no") << field.detail << "\n";
  }
  if (!card.process_data.empty()) {
    out << "    per process (record --processes, a side file beside the trace):\n";
    for (const FieldProvision& item : card.process_data) {
      out << "      " << std::setw(38) << item.field << std::setw(5)
          << (item.provided ? "yes" : "no") << item.detail << "\n";
    }
  }
  out << std::right;
}

void print_report(std::ostream& out, const SourceReport& report) {
  out << report.source << ": " << (report.available ? "available" : "unavailable") << " ("
      << report.detail << ")\n";
  for (const std::string& note : report.notes) out << "  note: " << note << "\n";
  for (const CardReport& card : report.cards) print_card(out, card);
}

// Field by source: "yes" where some card of the source provides it.
void print_matrix(std::ostream& out, const std::vector<SourceReport>& reports) {
  std::vector<std::string> fields;
  std::map<std::string, std::map<std::string, bool>> provided;  // field -> source -> any card
  for (const SourceReport& report : reports) {
    for (const CardReport& card : report.cards) {
      for (const FieldProvision& field : card.fields) {
        if (!provided.contains(field.field)) fields.push_back(field.field);
        provided[field.field][report.source] =
            provided[field.field][report.source] || field.provided;
      }
    }
  }
  if (fields.empty()) return;
  out << "\nwhich source provides each field:\n  " << std::left << std::setw(38) << "field";
  for (const SourceReport& report : reports) out << std::setw(15) << report.source;
  out << "\n";
  for (const std::string& field : fields) {
    out << "  " << std::setw(38) << field;
    for (const SourceReport& report : reports) {
      const auto& by_source = provided[field];
      const auto found = by_source.find(report.source);
      out << std::setw(15) << (found == by_source.end() ? "-" : (found->second ? "yes" : "no"));
    }
    out << "\n";
  }
  out << std::right;
}

int list_sources(const SourcesOptions& options) {
  std::vector<SourceReport> reports;
  for (const SourceProbe& probe : source_probes()) {
    reports.push_back(probe.probe(options));
    print_report(std::cout, reports.back());
  }
  print_matrix(std::cout, reports);
  return 0;
}

}  // namespace

void add_sources_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<SourcesOptions>();
  CLI::App* command = app.add_subcommand(
      "sources",
      "List the live sources on this machine: cards, MIG layout, which trace fields each source "
      "provides, and why a source is unavailable");
  command->footer(
      "NVML is loaded from MIGPOWER_NVML_LIBRARY if set, else libnvidia-ml.so.1.\n"
      "DCGM is loaded from MIGPOWER_DCGM_LIBRARY if set, else libdcgm.so.4, with an embedded "
      "host engine.\n"
      "Nothing is changed on the GPU: migpower only reads.");
  command
      ->add_option("--dcgm-exporter", options->dcgm_exporter_urls,
                   "Also scrape this dcgm-exporter /metrics URL (repeatable)")
      ->type_name("URL");
  command->callback([options, &action] { action = [options] { return list_sources(*options); }; });
}

}  // namespace migpower::cli
