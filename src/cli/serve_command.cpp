// `migpower serve`: the node agent (docs/agent.md). Parses options (and --config), opens the
// source, and wires the frame loop (serve/agent) to the HTTP side (serve/agent_http).

#include <unistd.h>

#include <array>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "attribution/method_factory.hpp"
#include "cli/commands.hpp"
#include "cli/config_file.hpp"
#include "cli/live_source.hpp"
#include "cli/method_options.hpp"
#include "cli/stop_on_signals.hpp"
#include "cli/usage_error.hpp"
#include "core/parse_number.hpp"
#include "ledger/open_ledger.hpp"
#include "ledger/value_series.hpp"
#include "serve/agent.hpp"
#include "serve/agent_http.hpp"
#include "serve/ledger_writer.hpp"
#include "serve/live_attribution.hpp"
#include "sim/simulator.hpp"
#include "sources/live_clock.hpp"
#include "sources/paced_source.hpp"
#include "tenants/tenant_resolver.hpp"
#include "trace/trace_reader.hpp"

namespace migpower::cli {
namespace {

constexpr const char* kVersion = "0.1.0";
constexpr int kDefaultPort = 10121;

struct ServeOptions {
  std::string config;
  std::string source = "nvml";
  double speed = 1.0;
  std::uint64_t seed = 1;
  MethodOptions method;
  std::string interval = "1s";
  std::string duration;  // live sources: stop after this long
  std::string listen = "127.0.0.1:" + std::to_string(kDefaultPort);
  std::string state;
  std::string state_interval = "1m";
  std::string stale_after;  // default: the larger of 10 s and 5 intervals
  std::string hostname;     // default: this host's name
  std::string hostname_label = "hostname";
  std::vector<std::string> ledger;  // a SQLite file and/or a postgresql:// URL
  std::string bucket = "1m";
  std::string carbon_intensity;  // gCO2e/kWh, or a series file
  std::string market_carbon_intensity;
  std::string price;  // per kWh, or a series file
  std::string currency;
  std::string ledger_spool = "migpower-spool.db";
  std::size_t ledger_spool_capacity = 100000;
  std::string ledger_retention = "90d";  // or "never"
  // Tenants (docs/tenants.md).
  bool kubernetes = false;
  std::string pod_resources_socket = std::string(tenants::kDefaultKubeletSocket);
  std::vector<std::string> gpu_resources;
  bool tenant_cgroups = false;
  std::string tenant_map;
  std::string tenant_refresh = "10s";
};

// The tenant resolver the options ask for, or null when they ask for none.
std::unique_ptr<tenants::TenantResolver> tenant_resolver(const ServeOptions& options) {
  if (!options.kubernetes && !options.tenant_cgroups && options.tenant_map.empty()) return nullptr;
  tenants::TenantResolverOptions resolver;
  resolver.kubelet = options.kubernetes;
  resolver.kubelet_socket = options.pod_resources_socket;
  resolver.resource_names = options.gpu_resources;
  resolver.process_cgroups = options.tenant_cgroups;
  resolver.mapping_file = options.tenant_map;
  resolver.refresh_interval_s = parse_duration_option("--tenant-refresh", options.tenant_refresh);
  return std::make_unique<tenants::TenantResolver>(std::move(resolver));
}

// A number is a constant; anything else is a series file (value_series.hpp).
std::optional<ValueSeries> value_option(const std::string& option, const std::string& text,
                                        ValueSeries::Kind kind, const std::string& currency) {
  if (text.empty()) return std::nullopt;
  if (const auto value = parse_double(text)) {
    if (!(*value >= 0.0)) throw UsageError(option + " must be >= 0, not " + text);
    const std::string unit = kind == ValueSeries::Kind::carbon ? " gCO2e/kWh" : " per kWh";
    return ValueSeries::constant(*value, "constant " + text + unit, currency);
  }
  ValueSeries series = ValueSeries::load(text, kind);
  return series;
}

// The ledger's options, checked before any device is touched.
std::optional<LedgerOptions> ledger_options(const ServeOptions& options) {
  if (options.ledger.empty()) return std::nullopt;
  LedgerOptions ledger;
  for (const std::string& target : options.ledger) {
    std::string& slot = is_postgres_url(target) ? ledger.postgres_url : ledger.sqlite_path;
    if (!slot.empty()) {
      throw UsageError("--ledger takes at most one SQLite file and one postgresql:// URL");
    }
    slot = target;
  }
  const double bucket_s = parse_duration_option("--bucket", options.bucket);
  if (bucket_s < 1.0 || bucket_s > 86400.0 || bucket_s != std::floor(bucket_s)) {
    throw UsageError("--bucket must be whole seconds from 1s to 1d, not " + options.bucket);
  }
  ledger.bucket_seconds = static_cast<std::int64_t>(bucket_s);
  ledger.carbon =
      value_option("--carbon-intensity", options.carbon_intensity, ValueSeries::Kind::carbon, "");
  ledger.market_carbon = value_option("--market-carbon-intensity", options.market_carbon_intensity,
                                      ValueSeries::Kind::carbon, "");
  ledger.price = value_option("--price", options.price, ValueSeries::Kind::price, options.currency);
  if (ledger.price && ledger.price->currency().empty()) {
    throw UsageError("--price needs --currency (e.g. EUR), or a currency column in its file");
  }
  ledger.spool_path = options.ledger_spool;
  ledger.spool_capacity = options.ledger_spool_capacity;
  if (options.ledger_retention == "never") {
    ledger.retention_s.reset();
  } else {
    const double keep_s = parse_duration_option("--ledger-retention", options.ledger_retention);
    if (keep_s < static_cast<double>(kRollupSeconds)) {
      throw UsageError("--ledger-retention must be at least 1h (or never), not " +
                       options.ledger_retention);
    }
    ledger.retention_s = static_cast<std::int64_t>(keep_s);
  }
  return ledger;
}

std::string this_hostname() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return {};
  return name.data();
}

// "HOST:PORT" (IPv6 as [::1]:PORT); port 0 lets the system choose.
AgentHttpOptions listen_address(const std::string& text) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    throw UsageError("--listen '" + text +
                     "' is not HOST:PORT (e.g. 127.0.0.1:" + std::to_string(kDefaultPort) +
                     ", or 0.0.0.0:" + std::to_string(kDefaultPort) + " for every interface)");
  }
  AgentHttpOptions http;
  http.host = text.substr(0, colon);
  if (http.host.size() > 2 && http.host.front() == '[' && http.host.back() == ']') {
    http.host = http.host.substr(1, http.host.size() - 2);
  }
  const std::string port = text.substr(colon + 1);
  try {
    std::size_t used = 0;
    http.port = std::stoi(port, &used);
    if (used != port.size() || http.port < 0 || http.port > 65535) throw std::out_of_range(port);
  } catch (const std::exception&) {
    throw UsageError("--listen '" + text + "': port '" + port + "' is not a number 0-65535");
  }
  return http;
}

// The source as a function that opens it afresh (at start and after each failure).
Agent::OpenSource source_opener(const ServeOptions& options, double interval_s,
                                const std::atomic<bool>& stop) {
  const std::string& spec = options.source;
  const std::size_t equals = spec.find('=');
  const std::string kind = spec.substr(0, equals);
  const std::string argument = equals == std::string::npos ? "" : spec.substr(equals + 1);
  if (kind == "replay" || kind == "simulate") {
    if (!options.duration.empty()) {
      throw UsageError("--duration is for live sources; a replay or simulation ends with itself");
    }
    if (argument.empty()) {
      throw UsageError("--source " + kind + " needs its " +
                       (kind == "replay" ? "trace: replay=TRACE.csv" : "scenario: simulate=mixed"));
    }
    if (!(options.speed > 0.0) || options.speed > 1e6) {
      throw UsageError("--speed must be above 0 (1 = real time), not " +
                       std::to_string(options.speed));
    }
    if (kind == "simulate") (void)Simulator(SimulationOptions{argument, 1, 1.0, 1.0});
    const double speed = options.speed;
    const std::uint64_t seed = options.seed;
    return [kind, argument, speed, seed, interval_s, &stop]() -> std::unique_ptr<FrameSource> {
      std::unique_ptr<FrameSource> inner;
      if (kind == "replay") {
        inner = std::make_unique<TraceReader>(argument, TraceReaderOptions{});
      } else {
        // A day of simulated time at the interval asked for: long enough for any demo.
        inner = std::make_unique<Simulator>(SimulationOptions{argument, seed, 86400.0, interval_s});
      }
      return std::make_unique<PacedSource>(std::move(inner), system_live_clock(), speed, &stop);
    };
  }
  (void)parse_live_source_spec(spec);  // usage errors now, before any device is touched
  LiveSourceOptions live;
  live.interval_s = interval_s;
  live.stop = &stop;
  if (!options.duration.empty()) {
    live.duration_s = parse_duration_option("--duration", options.duration);
  }
  return [spec, live] { return open_live_source(spec, live); };
}

int serve(CLI::App& command, ServeOptions& options) {
  if (!options.config.empty()) apply_config_file(command, options.config);
  const double interval_s = parse_duration_option("--interval", options.interval);
  const double state_every_s = parse_duration_option("--state-interval", options.state_interval);
  AgentHttpOptions http = listen_address(options.listen);
  http.stale_after_s = options.stale_after.empty()
                           ? std::max(10.0, 5.0 * interval_s / std::max(options.speed, 1e-9))
                           : parse_duration_option("--stale-after", options.stale_after);
  http.hostname_label = options.hostname_label;
  if (http.hostname_label != "hostname" && http.hostname_label != "Hostname") {
    throw UsageError(
        "--hostname-label must be hostname (dcgm-exporter since 2026) or Hostname "
        "(before), not '" +
        http.hostname_label + "'");
  }
  const MethodChoice method = to_method_choice(options.method);
  const AgentIdentity identity{options.hostname.empty() ? this_hostname() : options.hostname,
                               method_label(method), std::string(to_string(method.idle_policy)),
                               kVersion};

  const std::optional<LedgerOptions> ledger_choice = ledger_options(options);
  // /api/v1/energy reads the node's file when there is one: it is local and never away.
  if (ledger_choice) {
    http.ledger = ledger_choice->sqlite_path.empty() ? ledger_choice->postgres_url
                                                     : ledger_choice->sqlite_path;
  }
  std::unique_ptr<LedgerWriter> ledger;
  if (ledger_choice) {
    ledger = std::make_unique<LedgerWriter>(
        *ledger_choice, BucketProvenance{identity.hostname, identity.method, identity.idle_policy,
                                         identity.version});
  }

  const std::unique_ptr<tenants::TenantResolver> tenants = tenant_resolver(options);
  if (tenants) tenants->start();

  StopOnSignals signals;
  const std::atomic<bool>& stop = stop_requested();
  Agent::OpenSource open = source_opener(options, interval_s, stop);
  LiveClock& clock = system_live_clock();
  AgentOptions agent_options;
  agent_options.state_path = options.state;
  agent_options.state_every_s = state_every_s;
  agent_options.exit_when_source_ends = !options.duration.empty();
  LiveAttribution attribution(make_attributor(method), identity, clock.now_s());
  attribution.set_tenants(tenants.get());
  Agent agent(std::move(attribution), identity, std::move(open), agent_options, clock,
              ledger.get());
  agent.load_state();

  AgentHttp server(agent, http, clock);
  const int port = server.bind();
  std::cerr << "migpower: serving " << options.source << " (" << identity.method << ", idle policy "
            << identity.idle_policy << ") on http://" << http.host << ":" << port << "/metrics"
            << std::endl;
  std::thread http_thread([&server] { server.serve(); });
  agent.run(stop);
  server.stop();
  http_thread.join();
  std::cerr << "migpower: stopped after " << agent.snapshot()->frames_attributed << " frames"
            << (options.state.empty() ? "" : "; state saved to " + options.state) << "\n";
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  auto options = std::make_shared<ServeOptions>();
  CLI::App* command = app.add_subcommand(
      "serve",
      "Run the node agent: attribute live and publish per-MIG power and energy for Prometheus "
      "(docs/agent.md)");
  command
      ->add_option("--config", options->config,
                   "TOML file of these options (key = option name without --); the command "
                   "line wins over it")
      ->type_name("FILE");
  command
      ->add_option("--source", options->source,
                   "nvml, dcgm[=HOST[:PORT]], dcgm-exporter=URL[,URL...], replay=TRACE (a recorded "
                   "trace, paced by its timestamps) or simulate=SCENARIO")
      ->capture_default_str();
  command
      ->add_option("--speed", options->speed,
                   "replay and simulate: how many times faster than real time")
      ->capture_default_str();
  command->add_option("--seed", options->seed, "simulate: the simulator's seed")
      ->capture_default_str();
  add_method_options(*command, options->method);
  command
      ->add_option("--interval", options->interval,
                   "Time between frames of a live source (and of simulate): 100ms, 1s, 1m")
      ->capture_default_str();
  command->add_option("--duration", options->duration,
                      "Live sources: stop after this long (30s, 5m, 1h) and exit; default: run "
                      "until SIGTERM/SIGINT");
  command
      ->add_option("--listen", options->listen,
                   "HOST:PORT of the HTTP endpoints (/metrics, /healthz, /readyz, "
                   "/api/v1/instances); 0.0.0.0:PORT for every interface, port 0 for any")
      ->capture_default_str();
  command
      ->add_option("--state", options->state,
                   "Keep the online model's learnt state and the energy counters in this file "
                   "(saved every --state-interval and on SIGTERM/SIGINT, loaded at start)")
      ->type_name("FILE");
  command->add_option("--state-interval", options->state_interval, "How often --state is saved")
      ->capture_default_str();
  command->add_option("--stale-after", options->stale_after,
                      "A card without a frame for this long leaves /metrics (default: the larger "
                      "of 10 s and 5 intervals)");
  command->add_option("--hostname", options->hostname,
                      "The hostname label's value (default: this host's name)");
  command
      ->add_option("--hostname-label", options->hostname_label,
                   "The host label's name, as your dcgm-exporter spells it: hostname or Hostname")
      ->capture_default_str();
  command
      ->add_option("--ledger", options->ledger,
                   "Keep energy per bucket in a SQLite file and/or a PostgreSQL database "
                   "(postgresql://...); may be given twice (docs/ledger.md)")
      ->type_name("FILE|URL");
  command->add_option("--bucket", options->bucket, "The ledger's time bucket: 1m, 15m, 1h")
      ->capture_default_str();
  command->add_option("--carbon-intensity", options->carbon_intensity,
                      "Location-based grid intensity: gCO2e/kWh, or a series file (CSV or "
                      "Electricity Maps history JSON)");
  command->add_option("--market-carbon-intensity", options->market_carbon_intensity,
                      "Market-based intensity, kept beside the location-based one");
  command->add_option("--price", options->price,
                      "Electricity price per kWh, or a series file (CSV with price_per_kwh)");
  command->add_option("--currency", options->currency, "The price's currency, e.g. EUR");
  command
      ->add_option("--ledger-spool", options->ledger_spool,
                   "On-disk buffer of batches for the PostgreSQL ledger while it is away")
      ->capture_default_str();
  command
      ->add_option("--ledger-spool-capacity", options->ledger_spool_capacity,
                   "Batches the spool holds before dropping the oldest (counted)")
      ->capture_default_str();
  command
      ->add_option("--ledger-retention", options->ledger_retention,
                   "How long ledger buckets keep their detail before they are rolled up to "
                   "hours (counted back from the newest bucket), or never")
      ->capture_default_str();
  command->add_flag("--kubernetes", options->kubernetes,
                    "Name each instance's pod through the kubelet's pod-resources API");
  command
      ->add_option("--pod-resources-socket", options->pod_resources_socket,
                   "The kubelet's pod-resources socket")
      ->capture_default_str();
  command->add_option("--gpu-resource", options->gpu_resources,
                      "A device resource name besides nvidia.com/gpu and nvidia.com/mig-* "
                      "(repeatable)");
  command->add_flag("--tenant-cgroups", options->tenant_cgroups,
                    "Name tenants from the cgroups of the processes on each instance (pods, "
                    "Slurm jobs)");
  command->add_option("--tenant-map", options->tenant_map,
                      "A file mapping instances to tenants (docs/tenants.md), reloaded when it "
                      "changes");
  command
      ->add_option("--tenant-refresh", options->tenant_refresh,
                   "How often the kubelet and the mapping file are read again")
      ->capture_default_str();
  command->footer(
      "Examples:\n"
      "  migpower serve --source simulate=mixed --speed 10\n"
      "  migpower serve --source nvml --ledger /var/lib/migpower/ledger.db --carbon-intensity 380\n"
      "  migpower serve --source nvml --listen 0.0.0.0:10121 --state /var/lib/migpower/state.json\n"
      "  migpower serve --source dcgm-exporter=http://localhost:9400/metrics\n"
      "  migpower serve --config /etc/migpower/serve.toml\n"
      "Then: curl -s localhost:10121/metrics | grep migpower_instance_power_watts");
  command->callback([options, command, &action] {
    action = [options, command] { return serve(*command, *options); };
  });
}

}  // namespace migpower::cli
