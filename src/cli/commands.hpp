#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace migpower::cli {

// The subcommand chosen on the command line sets this to its work; app.cpp runs it after
// parsing, so errors in the work are told apart from usage errors.
using Action = std::function<int()>;

void add_simulate_command(CLI::App& app, Action& action);
void add_attribute_command(CLI::App& app, Action& action);
void add_evaluate_command(CLI::App& app, Action& action);
void add_train_command(CLI::App& app, Action& action);
void add_demo_command(CLI::App& app, Action& action);
void add_experiment_command(CLI::App& app, Action& action);
void add_import_command(CLI::App& app, Action& action);
void add_sources_command(CLI::App& app, Action& action);
void add_record_command(CLI::App& app, Action& action);
void add_serve_command(CLI::App& app, Action& action);
void add_report_command(CLI::App& app, Action& action);
void add_ledger_command(CLI::App& app, Action& action);

}  // namespace migpower::cli
