#include "export/prometheus_exposition.hpp"

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <cmath>
#include <sstream>
#include <utility>
#include <vector>

namespace migpower {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

class Families {
 public:
  // Families are written in the order they are first named.
  MetricFamily& family(const std::string& name, const std::string& help, MetricType type) {
    for (MetricFamily& f : families_) {
      if (f.name == name) return f;
    }
    families_.push_back(MetricFamily{name, help, type, {}});
    return families_.back();
  }
  void gauge(const std::string& name, const std::string& help, Labels labels, double value) {
    ClientMetric metric;
    metric.label = std::move(labels);
    metric.gauge.value = value;
    family(name, help, MetricType::Gauge).metric.push_back(std::move(metric));
  }
  void counter(const std::string& name, const std::string& help, Labels labels, double value) {
    ClientMetric metric;
    metric.label = std::move(labels);
    metric.counter.value = value;
    family(name, help, MetricType::Counter).metric.push_back(std::move(metric));
  }
  [[nodiscard]] const std::vector<MetricFamily>& all() const { return families_; }

 private:
  std::vector<MetricFamily> families_;
};

// dcgm-exporter's labels of a card, in its order; `modelName` becomes `model_name` (Prometheus
// label names are snake_case; docs/agent.md lists the mapping).
Labels card_labels(const LiveCard& card, const LiveSnapshot& snapshot,
                   const ExpositionOptions& options) {
  Labels labels{{"gpu", std::to_string(card.gpu_index)},
                {"UUID", card.gpu_uuid},
                {"device", "nvidia" + std::to_string(card.gpu_index)},
                {"model_name", card.gpu_model}};
  if (!snapshot.hostname.empty()) labels.push_back({options.hostname_label, snapshot.hostname});
  return labels;
}

Labels instance_labels(const LiveCard& card, const LiveInstance& instance,
                       const LiveSnapshot& snapshot, const ExpositionOptions& options) {
  Labels labels = card_labels(card, snapshot, options);
  labels.push_back({"GPU_I_PROFILE", instance.profile});
  labels.push_back({"GPU_I_ID", std::to_string(instance.gpu_i_id)});
  // dcgm-exporter's Kubernetes labels where a pod holds the instance, else `tenant`.
  if (!instance.pod.empty()) {
    labels.push_back({"pod", instance.pod});
    labels.push_back({"namespace", instance.namespace_name});
    if (!instance.container.empty()) labels.push_back({"container", instance.container});
  } else if (!instance.tenant.empty()) {
    labels.push_back({"tenant", instance.tenant});
  }
  if (!instance.workload.empty()) labels.push_back({"workload", instance.workload});
  return labels;
}

void add_instances(Families& out, const LiveCard& card, const LiveSnapshot& snapshot,
                   const ExpositionOptions& options) {
  for (const LiveInstance& instance : card.instances) {
    const Labels labels = instance_labels(card, instance, snapshot, options);
    out.gauge("migpower_instance_power_watts",
              "Power of a MIG instance: its share of the card's measured power (W)", labels,
              instance.power_w);
    out.gauge("migpower_instance_static_power_watts",
              "The static part of a MIG instance's power: its share of the card's idle floor (W)",
              labels, instance.static_w);
    out.gauge("migpower_instance_dynamic_power_watts",
              "The dynamic part of a MIG instance's power, split by the method (W)", labels,
              instance.dynamic_w);
    if (std::isfinite(instance.sd_w)) {
      out.gauge("migpower_instance_power_sd_watts",
                "One standard deviation of a MIG instance's power, where the method gives one (W)",
                labels, instance.sd_w);
    }
    out.counter("migpower_instance_energy_joules_total",
                "Energy of a MIG instance since the agent's counters began (J)", labels,
                instance.energy_j);
    out.counter("migpower_instance_static_energy_joules_total",
                "The static part of a MIG instance's energy (J)", labels, instance.static_energy_j);
    out.counter("migpower_instance_dynamic_energy_joules_total",
                "The dynamic part of a MIG instance's energy (J)", labels,
                instance.dynamic_energy_j);
  }
}

void add_ledger_health(Families& out, const LedgerHealth& ledger) {
  out.counter("migpower_ledger_batches_written_total",
              "Bucket batches committed to the node's ledger file", {},
              static_cast<double>(ledger.batches_written));
  out.counter("migpower_ledger_write_errors_total",
              "Failed ledger writes (the node's file or the fleet database)", {},
              static_cast<double>(ledger.write_errors));
  out.counter("migpower_ledger_carbon_gaps_total",
              "Buckets that no period of the carbon or price series covered (stored without it)",
              {}, static_cast<double>(ledger.carbon_gaps));
  out.counter("migpower_ledger_refused_batches_total",
              "Batches not stored because their bucket was already rolled up to hours", {},
              static_cast<double>(ledger.refused));
  out.counter("migpower_ledger_rollups_total", "Retention roll-ups of old buckets to hours", {},
              static_cast<double>(ledger.rollups));
  if (!ledger.fleet_configured) return;
  out.gauge("migpower_ledger_fleet_up", "1 while the fleet database takes the agent's batches", {},
            ledger.fleet_up ? 1.0 : 0.0);
  out.gauge("migpower_ledger_pending_batches",
            "Batches spooled on disk, waiting for the fleet database", {},
            static_cast<double>(ledger.pending));
  out.counter("migpower_ledger_forwarded_batches_total", "Batches the fleet database has taken", {},
              static_cast<double>(ledger.forwarded));
  out.counter("migpower_ledger_dropped_batches_total",
              "Spooled batches dropped because the spool was full", {},
              static_cast<double>(ledger.dropped));
}

}  // namespace

std::string prometheus_text(const LiveSnapshot& snapshot, const ExpositionOptions& options) {
  Families out;
  for (const LiveCard& card : snapshot.cards) {
    const double age = options.now_wall_s - card.frame_wall_s;
    if (age > options.stale_after_s) continue;
    add_instances(out, card, snapshot, options);
  }
  for (const LiveCard& card : snapshot.cards) {
    const Labels labels = card_labels(card, snapshot, options);
    const double age = options.now_wall_s - card.frame_wall_s;
    out.gauge("migpower_gpu_last_frame_age_seconds",
              "Wall seconds since the card's latest frame was attributed", labels,
              std::max(age, 0.0));
    if (age > options.stale_after_s) continue;
    if (card.has_power) {
      out.gauge("migpower_gpu_power_watts", "The card's measured power (W)", labels, card.power_w);
      out.gauge("migpower_gpu_unattributed_power_watts",
                "Static power left unattributed by the idle policy (W)", labels,
                card.unattributed_w);
    }
    out.counter("migpower_gpu_energy_joules_total",
                "The card's measured energy since the agent's counters began (J)", labels,
                card.energy_j);
    if (std::isfinite(card.residual_w)) {
      out.gauge("migpower_gpu_model_residual_watts",
                "RMS over the last minute of the measured power minus the model's unscaled "
                "estimate (W)",
                labels, card.residual_w);
    }
  }
  out.counter("migpower_frames_attributed_total", "Frames attributed since the agent started", {},
              static_cast<double>(snapshot.frames_attributed));
  for (const char* kind : {"open", "read", "frame", "stall"}) {
    const auto it = snapshot.source_errors.find(kind);
    out.counter("migpower_source_errors_total",
                "Source failures by kind: open (could not start), read (a read failed), frame (a "
                "frame was refused), stall (no frame for too long)",
                {{"kind", kind}},
                it == snapshot.source_errors.end() ? 0.0 : static_cast<double>(it->second));
  }
  for (const auto& [kind, count] : snapshot.events) {
    out.counter("migpower_events_total",
                "What happened to the cards: layout_change, card_gone, state_refused, ...",
                {{"kind", kind}}, static_cast<double>(count));
  }
  if (snapshot.ledger.enabled) add_ledger_health(out, snapshot.ledger);
  for (const auto& [source, up] : snapshot.tenants.up) {
    out.gauge("migpower_tenant_source_up",
              "1 while a tenant source answers (kubelet, cgroups, mapping)", {{"source", source}},
              up ? 1.0 : 0.0);
  }
  for (const auto& [kind, count] : snapshot.tenants.errors) {
    out.counter("migpower_tenant_errors_total", "Tenant source failures by kind (docs/tenants.md)",
                {{"kind", kind}}, static_cast<double>(count));
  }
  out.gauge("migpower_source_ended",
            "Whether a replayed or simulated source has run to its end (1) or is still running (0)",
            {}, snapshot.source_ended ? 1.0 : 0.0);
  out.gauge("migpower_scrape_duration_seconds", "Time the previous /metrics render took", {},
            options.last_scrape_duration_s);
  out.gauge("migpower_build_info", "migpower's version and how it attributes; always 1",
            {{"version", snapshot.version},
             {"method", snapshot.method},
             {"idle_policy", snapshot.idle_policy}},
            1.0);
  out.gauge("migpower_start_time_seconds", "When the agent started (seconds since the epoch)", {},
            snapshot.started_wall_s);
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, out.all());
  return text.str();
}

}  // namespace migpower
