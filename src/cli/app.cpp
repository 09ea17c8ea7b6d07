#include "cli/app.hpp"

#include <CLI/CLI.hpp>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/usage_error.hpp"
#include "core/error.hpp"

namespace migpower::cli {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitUsage = 2;

}  // namespace

int run(int argc, char** argv) {
  CLI::App app(
      "migpower: split a MIG-partitioned NVIDIA GPU's measured power, energy and carbon among "
      "its instances",
      "migpower");
  app.set_version_flag("--version", "migpower 0.1.0");
  app.require_subcommand(1);
  app.footer(
      "Start with `migpower demo`. Each command has --help.\n"
      "Exit codes: 0 ok, 1 bad input, 2 usage.");
  Action action;
  add_demo_command(app, action);
  add_simulate_command(app, action);
  add_attribute_command(app, action);
  add_evaluate_command(app, action);
  add_train_command(app, action);
  add_experiment_command(app, action);
  add_import_command(app, action);
  add_sources_command(app, action);
  add_record_command(app, action);
  add_serve_command(app, action);
  add_report_command(app, action);
  add_ledger_command(app, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    return action ? action() : kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "migpower: usage: " << e.what() << "\n";
    return kExitUsage;
  } catch (const InputError& e) {
    std::cerr << "migpower: error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const std::exception& e) {
    std::cerr << "migpower: error: " << e.what() << "\n";
    return kExitBadInput;
  }
}

}  // namespace migpower::cli
