// GPM sampling: the support probe, each instance's pair of samples (allocated on first use, freed
// with the layout) and the metrics between them, per MIG GPU instance or for the whole card.
#include "sources/nvml/nvml_gpm.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <utility>

namespace migpower::nvml {

void init_gpm_caps(const Session& session, Card& card) {
  const Functions& fn = session.fn;
  for (const auto& [present, symbol] :
       {std::pair{fn.gpm_query_device_support != nullptr, "nvmlGpmQueryDeviceSupport"},
        std::pair{fn.gpm_sample_alloc != nullptr, "nvmlGpmSampleAlloc"},
        std::pair{fn.gpm_sample_free != nullptr, "nvmlGpmSampleFree"},
        std::pair{fn.gpm_sample_get != nullptr, "nvmlGpmSampleGet"},
        std::pair{fn.gpm_metrics_get != nullptr, "nvmlGpmMetricsGet"}}) {
    if (card.caps[kGpm].status != CapState::Status::off) {
      session.require_symbol(card, kGpm, present, symbol);
    }
  }
  card.gpm_returns.fill(kNoAnswerYet);
}

void free_gpm_samples(const Session& session, Instance& instance) {
  for (GpmSample& sample : instance.samples) {
    if (sample != nullptr && session.fn.gpm_sample_free != nullptr) {
      session.fn.gpm_sample_free(sample);
    }
    sample = nullptr;
  }
  instance.have_previous = false;
}

GpmReader::GpmReader(Session& session)
    : session_(session), metrics_(std::make_unique<GpmMetricsGet>()) {}

bool GpmReader::ready(Card& card) {
  CapState& state = card.caps[kGpm];
  if (card.lost || state.status == CapState::Status::off) return false;
  if (card.mig_on && session_.fn.gpm_mig_sample_get == nullptr) {
    turn_off(card, kGpm, "nvmlGpmMigSampleGet missing from " + session_.library.path());
    return false;
  }
  if (state.status == CapState::Status::on) return true;
  GpmSupport support{};
  support.version = kGpmSupportVersion;
  if (!session_.settle(card, kGpm, false,
                       session_.fn.gpm_query_device_support(card.handle, &support))) {
    return false;
  }
  if (support.is_supported_device == 0) {
    turn_off(card, kGpm, "GPM not supported by this GPU (it needs Hopper or later)");
    return false;
  }
  return true;
}

void GpmReader::read(Card& card, Instance& instance, InstanceSample& sample) {
  if (!ready(card)) return;
  const Functions& fn = session_.fn;
  GpmSample& current = instance.samples[static_cast<std::size_t>(instance.current)];
  if (current == nullptr && !session_.settle(card, kGpm, false, fn.gpm_sample_alloc(&current))) {
    current = nullptr;
    return;
  }
  const Return code = card.mig_on ? fn.gpm_mig_sample_get(card.handle, instance.gi_id, current)
                                  : fn.gpm_sample_get(card.handle, current);
  if (!session_.settle(card, kGpm, card.mig_on, code)) {
    instance.have_previous = false;
    return;
  }
  if (instance.have_previous) {
    GpmMetricsGet& request = *metrics_;
    request.version = kGpmMetricsGetVersion;
    request.num_metrics = kActivityCount;
    request.sample1 = instance.samples[static_cast<std::size_t>(1 - instance.current)];
    request.sample2 = current;
    for (std::size_t i = 0; i < kActivityCount; ++i) {
      request.metrics[i] = GpmMetric{};
      request.metrics[i].metric_id = kGpmMetrics[i].id;
    }
    if (session_.settle(card, kGpm, false, fn.gpm_metrics_get(&request))) {
      for (std::size_t i = 0; i < kActivityCount; ++i) {
        const GpmMetric& metric = request.metrics[i];
        // For the report: a metric counts as provided once any instance had it.
        if (card.gpm_returns[i] != kSuccess) card.gpm_returns[i] = metric.nvml_return;
        // NVML gives percent; GPM is known to overshoot 100 a little on MIG instances.
        if (metric.nvml_return == kSuccess && std::isfinite(metric.value)) {
          sample.activity[i] = std::clamp(metric.value / 100.0, 0.0, 1.0);
        }
      }
    }
  }
  instance.have_previous = true;
  instance.current = 1 - instance.current;
}

}  // namespace migpower::nvml
