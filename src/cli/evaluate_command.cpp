#include <iostream>
#include <memory>
#include <vector>

#include "cli/commands.hpp"
#include "cli/method_options.hpp"
#include "cli/output.hpp"
#include "cli/source_options.hpp"
#include "cli/usage_error.hpp"
#include "eval/compare_table.hpp"
#include "eval/evaluation.hpp"
#include "export/report_evaluation.hpp"
#include "model/model_file.hpp"

namespace migpower::cli {
namespace {

struct EvaluateOptions {
  SourceOptions source;
  MethodOptions method;
  bool compare = false;
  double warmup_s = 120.0;
  std::string format = "table";
  std::string out;
};

// Every method --compare runs, in the order the table shows them: an offline method runs only
// when --model gives a file of its kind.
std::vector<MethodChoice> methods_to_run(const EvaluateOptions& options) {
  const MethodChoice chosen = to_method_choice(options.method);
  if (!options.compare) return {chosen};
  const std::string model_kind =
      chosen.model_path.empty() ? ""
                                : std::string(read_model_file(chosen.model_path).model->kind());
  std::vector<MethodChoice> all;
  for (const auto& info : attribution_methods()) {
    if (info.needs_model_file && info.name != model_kind) continue;
    MethodChoice o = chosen;
    o.method = std::string(info.name);
    all.push_back(o);
  }
  return all;
}

int evaluate_command(const EvaluateOptions& options) {
  if (options.format != "table" && options.format != "json" && options.format != "html") {
    throw UsageError("--format must be table, json or html, not '" + options.format + "'");
  }
  if (options.format == "html" && options.source.trace == "-") {
    throw UsageError("--format html reads the trace twice: give a file, not stdin");
  }
  Output output(options.out);
  const auto methods = methods_to_run(options);
  nlohmann::json documents = nlohmann::json::array();
  std::vector<EvaluationReport> compared;  // --compare prints them as one table at the end
  std::vector<EvaluationPageMethod> page;  // --format html: scores, and a second run to draw
  for (std::size_t i = 0; i < methods.size(); ++i) {
    OpenedSource source(options.source);  // each method reads the source from the start
    EvaluationReport report = evaluate(source.frames(), methods[i], source.name(), nullptr,
                                       EvaluationSettings{options.warmup_s});
    if (options.format == "json") {
      documents.push_back(evaluation_json(report));
    } else if (options.format == "html") {
      OpenedSource replay(options.source);
      page.push_back({evaluation_json(report),
                      record_evaluation_series(replay.frames(), make_attributor(methods[i]),
                                               options.warmup_s)});
    } else if (options.compare) {
      compared.push_back(std::move(report));
    } else {
      print_evaluation_table(output.stream(), report);
    }
    if (i + 1 == methods.size()) source.report_skipped();
  }
  if (!compared.empty()) print_compare_table(output.stream(), compared);
  if (options.format == "html") write_evaluation_html(output.stream(), page);
  if (options.format == "json") {
    output.stream() << (documents.size() == 1 ? documents.front() : documents).dump(2) << "\n";
  }
  output.close();
  return 0;
}

}  // namespace

void add_evaluate_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<EvaluateOptions>();
  CLI::App* command = app.add_subcommand(
      "evaluate",
      "Score an attribution method against the trace's ground truth (truth_power_w): per "
      "instance MAPE, RMSE, MAE and energy error, overall WAPE and aggregate error");
  add_source_options(*command, options->source);
  add_method_options(*command, options->method);
  command->add_flag("--compare", options->compare,
                    "Run every method and print them all (offline ones only with --model)");
  command
      ->add_option("--warmup", options->warmup_s,
                   "Seconds at the start that are attributed but not scored, so online models "
                   "are judged after they have learned")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command->add_option("--format", options->format, "table, json or html (plots, one file)")
      ->capture_default_str();
  command->add_option("--out,-o", options->out, "Write here instead of stdout")->type_name("FILE");
  command->footer(
      "Examples:\n"
      "  migpower evaluate --scenario mixed --compare\n"
      "  migpower simulate --scenario capped --out capped.csv && migpower evaluate capped.csv");
  command->callback(
      [options, &action] { action = [options] { return evaluate_command(*options); }; });
}

}  // namespace migpower::cli
