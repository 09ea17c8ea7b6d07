#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/time_option.hpp"
#include "cli/usage_error.hpp"
#include "core/error.hpp"
#include "export/energy_sums.hpp"
#include "ledger/open_ledger.hpp"
#include "ledger/postgres_ledger.hpp"
#include "trace/time_text.hpp"

namespace migpower::cli {
namespace {

struct QueryOptions {
  std::string ledger;
  std::string from;
  std::string to;
  std::string group_by = "tenant";
  std::string format = "table";
  std::string out;
};

struct RollupOptions {
  std::string ledger;
  std::string keep;
  std::string node;
};

int query_command(const QueryOptions& options) {
  if (options.format != "table" && options.format != "csv" && options.format != "json") {
    throw UsageError("--format must be table, csv or json, not '" + options.format + "'");
  }
  EnergyAnswer answer;
  try {
    answer.query.group_by = parse_energy_grouping(options.group_by);
  } catch (const InputError& e) {
    throw UsageError(std::string("--group-by: ") + e.what());
  }
  answer.query.from_s = parse_time_option(options.from, "--from");
  answer.query.to_s = parse_time_option(options.to, "--to");
  if (answer.query.from_s && answer.query.to_s && *answer.query.to_s <= *answer.query.from_s) {
    throw UsageError("--to must be after --from");
  }
  answer.ledger = without_password(options.ledger);
  answer.sums = open_ledger(options.ledger)->sum_energy(answer.query);
  Output output(options.out);
  if (options.format == "json") output.stream() << energy_json(answer) << "\n";
  if (options.format == "csv") write_energy_csv(output.stream(), answer);
  if (options.format == "table") write_energy_table(output.stream(), answer);
  output.close();
  return 0;
}

int rollup_command(const RollupOptions& options) {
  const std::optional<double> keep_s = parse_duration_text(options.keep);
  if (!keep_s || *keep_s < static_cast<double>(kRollupSeconds)) {
    throw UsageError("--keep '" + options.keep + "' is not a duration of at least 1h (e.g. 30d)");
  }
  const std::unique_ptr<LedgerStore> store =
      open_ledger(options.ledger, SqliteLedger::Access::read_write);
  const std::vector<std::string> nodes =
      options.node.empty() ? store->nodes() : std::vector<std::string>{options.node};
  // Relative to the newest bucket of the ledger, not to the clock: a ledger of a replayed
  // trace keeps its detail, and the rule is the same as the agent's --ledger-retention.
  for (const std::string& node : nodes) {
    const std::optional<double> newest = store->last_bucket_end_s(node);
    if (!newest) {
      std::cerr << "node " << node << ": no buckets\n";
      continue;
    }
    const RollupResult result = store->roll_up(node, static_cast<std::int64_t>(*newest - *keep_s));
    std::cerr << "node " << (node.empty() ? "(unnamed)" : node) << ": buckets before "
              << format_rfc3339(static_cast<double>(result.before_s))
              << " rolled up to hours: " << result.card_rows_before << " card and "
              << result.instance_rows_before << " instance rows became " << result.card_rows_after
              << " and " << result.instance_rows_after << "\n";
  }
  return 0;
}

}  // namespace

void add_ledger_command(CLI::App& app, Action& action) {
  CLI::App* ledger = app.add_subcommand(
      "ledger", "Read and maintain the ledger an agent keeps (migpower serve --ledger)");
  ledger->require_subcommand(1);

  auto query = std::make_shared<QueryOptions>();
  CLI::App* query_cmd = ledger->add_subcommand(
      "query",
      "Energy (kWh and J), carbon (g and kg) and cost per instance, tenant, namespace, gpu or "
      "node over a period, summed by the database");
  query_cmd->add_option("ledger", query->ledger, "A SQLite ledger file or a postgresql:// URL")
      ->required()
      ->type_name("LEDGER");
  query_cmd
      ->add_option("--from", query->from,
                   "Buckets that start at or after this time (unix seconds or RFC 3339); "
                   "default: the first")
      ->type_name("TIME");
  query_cmd->add_option("--to", query->to, "Buckets that start before this time; default: the last")
      ->type_name("TIME");
  query_cmd->add_option("--group-by", query->group_by, "instance, tenant, namespace, gpu or node")
      ->capture_default_str();
  query_cmd->add_option("--format", query->format, "table, csv or json")->capture_default_str();
  query_cmd->add_option("--out,-o", query->out, "Write here instead of stdout")->type_name("FILE");
  query_cmd->footer(
      "Examples:\n"
      "  migpower ledger query /var/lib/migpower/ledger.db\n"
      "  migpower ledger query ledger.db --from 2026-11-01 --to 2026-12-01 --group-by namespace\n"
      "  migpower ledger query postgresql://reader@db/energy --group-by gpu --format csv");
  query_cmd->callback([query, &action] { action = [query] { return query_command(*query); }; });

  auto rollup = std::make_shared<RollupOptions>();
  CLI::App* rollup_cmd = ledger->add_subcommand(
      "rollup",
      "Replace buckets older than --keep (before each node's newest bucket) with hourly sums; "
      "the agent does this itself with --ledger-retention");
  rollup_cmd->add_option("ledger", rollup->ledger, "A SQLite ledger file or a postgresql:// URL")
      ->required()
      ->type_name("LEDGER");
  rollup_cmd->add_option("--keep", rollup->keep, "How long buckets keep their detail, e.g. 30d")
      ->required()
      ->type_name("DURATION");
  rollup_cmd->add_option("--node", rollup->node, "Only this node's rows (default: every node)")
      ->type_name("NAME");
  rollup_cmd->callback(
      [rollup, &action] { action = [rollup] { return rollup_command(*rollup); }; });
}

}  // namespace migpower::cli
