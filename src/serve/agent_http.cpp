#include "serve/agent_http.hpp"

#include <chrono>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "export/energy_sums.hpp"
#include "export/instances_json.hpp"
#include "export/prometheus_exposition.hpp"
#include "ledger/open_ledger.hpp"
#include "ledger/postgres_ledger.hpp"
#include "serve/bounded_task_queue.hpp"
#include "trace/time_text.hpp"

namespace migpower {
namespace {

constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

void error(httplib::Response& response, int status, const std::string& message) {
  response.status = status;
  response.set_content(nlohmann::json{{"error", message}}.dump() + "\n", "application/json");
}

}  // namespace

AgentHttp::AgentHttp(const Agent& agent, AgentHttpOptions options, LiveClock& clock)
    : agent_(agent), options_(std::move(options)), clock_(clock) {
  const std::size_t workers = options_.workers;
  const std::size_t queued = options_.queued;
  server_.new_task_queue = [workers, queued] { return new BoundedTaskQueue(workers, queued); };
  // A slow or silent client holds a worker for at most this long; requests are small.
  server_.set_read_timeout(5, 0);
  server_.set_write_timeout(5, 0);
  server_.set_keep_alive_max_count(100);
  server_.set_payload_max_length(std::size_t{64} * 1024);
  routes();
}

void AgentHttp::routes() {
  server_.Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    const auto start = std::chrono::steady_clock::now();
    ExpositionOptions exposition;
    exposition.hostname_label = options_.hostname_label;
    exposition.now_wall_s = clock_.now_s();
    exposition.stale_after_s = options_.stale_after_s;
    exposition.last_scrape_duration_s = last_scrape_s_.load();
    response.set_content(prometheus_text(*agent_.snapshot(), exposition), kPrometheusText);
    last_scrape_s_.store(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  });
  server_.Get("/healthz", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("ok\n", "text/plain");
  });
  server_.Get("/readyz", [this](const httplib::Request&, httplib::Response& response) {
    const auto snapshot = agent_.snapshot();
    if (snapshot->cards.empty()) {
      response.status = 503;
      response.set_content("not ready: no frame attributed yet\n", "text/plain");
      return;
    }
    response.set_content(
        "ready: " + std::to_string(snapshot->cards.size()) + " card(s) attributed\n", "text/plain");
  });
  server_.Get("/api/v1/instances",
              [this](const httplib::Request& request, httplib::Response& response) {
                std::string gpu;
                for (const auto& [key, value] : request.params) {
                  if (key != "gpu") {
                    error(response, 400, "unknown parameter '" + key + "' (known: gpu=UUID)");
                    return;
                  }
                  gpu = value;
                }
                const auto snapshot = agent_.snapshot();
                if (!gpu.empty()) {
                  bool found = false;
                  for (const LiveCard& card : snapshot->cards)
                    found = found || card.gpu_uuid == gpu;
                  if (!found) {
                    error(response, 404, "no card " + gpu + " on this node");
                    return;
                  }
                }
                response.set_content(
                    instances_json(*snapshot, gpu, clock_.now_s(), options_.stale_after_s) + "\n",
                    "application/json");
              });
  server_.Get("/api/v1/energy", [this](const httplib::Request& request,
                                       httplib::Response& response) { energy(request, response); });
  server_.set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (response.status == 404 && response.body.empty()) {
      error(response, 404,
            "no such path " + request.path +
                " (try /metrics, /healthz, /readyz, /api/v1/instances, /api/v1/energy)");
    }
  });
  server_.set_exception_handler([](const httplib::Request&, httplib::Response& response,
                                   std::exception_ptr) { error(response, 500, "internal error"); });
}

void AgentHttp::energy(const httplib::Request& request, httplib::Response& response) const {
  EnergyAnswer answer;
  for (const auto& [key, value] : request.params) {
    if (key == "from" || key == "to") {
      const std::optional<double> t = parse_time_text(value);
      if (!t) {
        std::string message = key;
        message += "='";
        message += value;
        message += "' is not a time (unix seconds or RFC 3339, e.g. 2026-11-01T00:00:00Z)";
        error(response, 400, message);
        return;
      }
      (key == "from" ? answer.query.from_s : answer.query.to_s) = t;
    } else if (key == "group_by") {
      try {
        answer.query.group_by = parse_energy_grouping(value);
      } catch (const InputError& e) {
        error(response, 400, e.what());
        return;
      }
    } else {
      error(response, 400,
            "unknown parameter '" + key +
                "' (known: from, to: unix seconds or RFC 3339; group_by: instance, tenant, "
                "namespace, gpu, node)");
      return;
    }
  }
  if (answer.query.from_s && answer.query.to_s && *answer.query.to_s <= *answer.query.from_s) {
    error(response, 400, "to must be after from");
    return;
  }
  if (options_.ledger.empty()) {
    error(response, 404, "this agent keeps no ledger (start it with --ledger FILE)");
    return;
  }
  try {
    // A connection per request: requests are rare, and no state is shared with the loop.
    answer.ledger = without_password(options_.ledger);
    answer.sums = open_ledger(options_.ledger)->sum_energy(answer.query);
  } catch (const InputError& e) {
    error(response, 503, std::string("the ledger cannot be read: ") + e.what());
    return;
  }
  response.set_content(energy_json(answer) + "\n", "application/json");
}

int AgentHttp::bind() {
  int port = options_.port;
  if (port == 0) {
    port = server_.bind_to_any_port(options_.host);
  } else if (!server_.bind_to_port(options_.host, port)) {
    port = -1;
  }
  if (port < 0) {
    throw InputError("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                     " (in use, or not an address of this host)");
  }
  return port;
}

void AgentHttp::serve() { server_.listen_after_bind(); }

void AgentHttp::stop() { server_.stop(); }

}  // namespace migpower
