#include "sim/workload.hpp"

#include <cmath>
#include <limits>

namespace migpower {
namespace {

// Durations (s) and memory of the batch kinds. Memory fractions are of the profile's memory.
struct BatchParams {
  double busy_min_s;
  double busy_max_s;
  double gap_min_s;
  double gap_max_s;
  double gap_probability;  // after a busy phase; otherwise the next job follows at once
  double start_busy_probability;
  double fb_busy_min;
  double fb_busy_max;
  bool holds_memory;  // the process (and its memory) outlives busy phases
};

BatchParams batch_params(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::gemm_fp32:
    case WorkloadKind::gemm_tensor:
      return {40.0, 240.0, 3.0, 40.0, 0.5, 0.7, 0.40, 0.80, false};
    case WorkloadKind::gemm_batch:
      return {30.0, 180.0, 5.0, 60.0, 0.6, 0.7, 0.35, 0.75, false};
    case WorkloadKind::memory_bound:
      return {20.0, 150.0, 5.0, 60.0, 0.5, 0.7, 0.50, 0.90, false};
    case WorkloadKind::interactive:
      return {5.0, 40.0, 30.0, 300.0, 1.0, 0.2, 0.15, 0.40, true};
    case WorkloadKind::idle:
    case WorkloadKind::llm_serving:
      break;
  }
  return {1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, false};
}

constexpr double kPhaseJitter = 0.06;   // relative spread of a phase's targets
constexpr double kWobbleSigma = 0.04;   // relative spread of the slow fluctuation
constexpr double kWobbleTau_s = 2.0;    // its correlation time
constexpr double kServingMemory = 0.9;  // share of memory an inference server preallocates

// Request rate levels of the LLM server for a 3-slice instance (req/s), and their odds.
constexpr std::array<double, 4> kRateLevels = {0.0, 0.15, 0.5, 1.2};
constexpr std::array<double, 4> kRateOdds = {0.15, 0.30, 0.35, 0.20};

}  // namespace

std::string_view workload_label(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::idle:
      return "idle";
    case WorkloadKind::gemm_fp32:
      return "gemm-fp32";
    case WorkloadKind::gemm_tensor:
      return "gemm-tensor";
    case WorkloadKind::gemm_batch:
      return "gemm-batch";
    case WorkloadKind::memory_bound:
      return "memory-bound";
    case WorkloadKind::llm_serving:
      return "llm-serving";
    case WorkloadKind::interactive:
      return "interactive";
  }
  return "unknown";
}

ActivityVector phase_activity(PhaseKind kind) {
  // Order: gr_engine, sm, sm_occupancy, tensor, dram, fp64, fp32, fp16.
  switch (kind) {
    case PhaseKind::idle:
      return {};
    case PhaseKind::gemm_fp32:
      return {0.99, 0.93, 0.42, 0.0, 0.35, 0.0, 0.72, 0.0};
    case PhaseKind::gemm_tensor:
      return {0.99, 0.95, 0.33, 0.82, 0.42, 0.0, 0.05, 0.25};
    case PhaseKind::memory_bound:
      // Kernels run all the time (engine busy) while SMs mostly wait on memory.
      return {0.98, 0.40, 0.30, 0.0, 0.88, 0.0, 0.08, 0.0};
    case PhaseKind::llm_prefill:
      return {0.99, 0.88, 0.30, 0.62, 0.30, 0.0, 0.06, 0.15};
  }
  return {};
}

ActivityVector decode_activity(int batch) {
  // Larger batches reuse each weight read for more tokens: more math, more bandwidth, both
  // saturating. The engine idles between steps while the host schedules the next one.
  const double x = 1.0 - std::exp(-static_cast<double>(batch) / 6.0);
  const double sm = 0.35 + 0.30 * x;
  return {0.92, sm, 0.3 * sm, 0.04 + 0.22 * x, 0.50 + 0.35 * x, 0.0, 0.04, 0.05 + 0.05 * x};
}

Workload::Workload(WorkloadKind kind, int compute_slices, double memory_mib, std::uint64_t seed)
    : kind_(kind), compute_slices_(compute_slices), memory_mib_(memory_mib), rng_(seed) {
  switch (kind_) {
    case WorkloadKind::idle:
      phase_left_s_ = std::numeric_limits<double>::infinity();
      break;
    case WorkloadKind::llm_serving:
      fb_used_mib_ = std::round(kServingMemory * memory_mib_);
      break;
    default: {
      const BatchParams bp = batch_params(kind_);
      if (bp.holds_memory) {
        fb_used_mib_ = std::round(rng_.uniform(bp.fb_busy_min, bp.fb_busy_max) * memory_mib_);
      }
      // Start somewhere inside a phase, not at its beginning.
      start_phase(rng_.uniform() < bp.start_busy_probability, 0.0);
      phase_left_s_ *= rng_.uniform();
      break;
    }
  }
}

void Workload::start_phase(bool busy, double carry_s) {
  const BatchParams bp = batch_params(kind_);
  busy_ = busy;
  if (!busy) {
    phase_ = PhaseKind::idle;
    target_ = {};
    phase_left_s_ = rng_.uniform(bp.gap_min_s, bp.gap_max_s) + carry_s;
    if (!bp.holds_memory) fb_used_mib_ = 0.0;
    return;
  }
  switch (kind_) {
    case WorkloadKind::gemm_fp32:
      phase_ = PhaseKind::gemm_fp32;
      break;
    case WorkloadKind::gemm_tensor:
      phase_ = PhaseKind::gemm_tensor;
      break;
    case WorkloadKind::gemm_batch:
      phase_ = rng_.uniform() < 0.6 ? PhaseKind::gemm_tensor : PhaseKind::gemm_fp32;
      break;
    case WorkloadKind::memory_bound:
      phase_ = PhaseKind::memory_bound;
      break;
    default: {
      constexpr std::array<PhaseKind, 3> kAny = {PhaseKind::gemm_fp32, PhaseKind::gemm_tensor,
                                                 PhaseKind::memory_bound};
      phase_ = kAny[static_cast<std::size_t>(rng_.uniform() * 3.0) % 3];
      break;
    }
  }
  // Each job differs a little from the nominal phase (problem sizes, kernels chosen).
  target_ = phase_activity(phase_);
  const double gr = target_[0];
  for (double& v : target_) v *= 1.0 + kPhaseJitter * rng_.normal();
  target_[0] = gr * (1.0 + 0.01 * rng_.normal());
  make_consistent(target_);
  phase_left_s_ = rng_.uniform(bp.busy_min_s, bp.busy_max_s) + carry_s;
  if (!bp.holds_memory) {
    fb_used_mib_ = std::round(rng_.uniform(bp.fb_busy_min, bp.fb_busy_max) * memory_mib_);
  }
}

void Workload::update_wobble(double dt_s) {
  if (dt_s != wobble_dt_s_) {
    wobble_dt_s_ = dt_s;
    wobble_rho_ = std::exp(-dt_s / kWobbleTau_s);
  }
  const double innovation = kWobbleSigma * std::sqrt(1.0 - wobble_rho_ * wobble_rho_);
  compute_wobble_ = wobble_rho_ * compute_wobble_ + innovation * rng_.normal();
  memory_wobble_ = wobble_rho_ * memory_wobble_ + innovation * rng_.normal();
}

void Workload::apply_wobble(ActivityVector& a) const {
  const double compute = 1.0 + compute_wobble_;
  for (Activity k : {Activity::sm, Activity::sm_occupancy, Activity::tensor, Activity::fp64,
                     Activity::fp32, Activity::fp16}) {
    at(a, k) *= compute;
  }
  // The engine is near 1 while busy: only small dips, clamped at 1.
  at(a, Activity::gr_engine) *= 1.0 + 0.25 * compute_wobble_;
  at(a, Activity::dram) *= 1.0 + memory_wobble_;
  make_consistent(a);
}

void Workload::step(double dt_s, ActivityVector& out) {
  switch (kind_) {
    case WorkloadKind::idle:
      out = {};
      return;
    case WorkloadKind::llm_serving:
      serving_step(dt_s, out);
      return;
    default:
      batch_step(dt_s, out);
      return;
  }
}

void Workload::batch_step(double dt_s, ActivityVector& out) {
  if (busy_) {
    update_wobble(dt_s);
    out = target_;
    apply_wobble(out);
  } else {
    out = {};
  }
  phase_left_s_ -= dt_s;
  if (phase_left_s_ <= 0.0) {
    const BatchParams bp = batch_params(kind_);
    const bool next_busy = busy_ ? rng_.uniform() >= bp.gap_probability : true;
    start_phase(next_busy, phase_left_s_);
  }
}

void Workload::serving_step(double dt_s, ActivityVector& out) {
  const double size = static_cast<double>(compute_slices_) / 3.0;
  // Load level: quiet, low, medium or high, each held for minutes.
  level_left_s_ -= dt_s;
  if (level_left_s_ <= 0.0) {
    double u = rng_.uniform();
    std::size_t level = 0;
    while (level + 1 < kRateOdds.size() && u >= kRateOdds[level]) u -= kRateOdds[level++];
    rate_per_s_ = kRateLevels[level] * size;
    level_left_s_ += rng_.uniform(60.0, 400.0);
  }
  // Arrivals; a full queue turns requests away.
  const int arrivals = rate_per_s_ > 0.0 ? rng_.poisson(rate_per_s_ * dt_s) : 0;
  for (int i = 0; i < arrivals && queue_size_ < kQueueCapacity; ++i) {
    Request& r = queue_[static_cast<std::size_t>((queue_head_ + queue_size_) % kQueueCapacity)];
    // Smaller instances prefill more slowly (fewer SMs, same prompt).
    r.prefill_left_s = rng_.uniform(0.08, 0.6) * std::pow(size, -0.7);
    r.decode_s = rng_.uniform(2.0, 12.0);
    ++queue_size_;
  }
  // Prefill has priority (time-sliced with decode); a request joins the decode batch when its
  // prefill is done and there is room.
  double left = dt_s;
  double prefill_s = 0.0;
  while (left > 0.0 && queue_size_ > 0 && decoding_ < kMaxDecodeBatch) {
    Request& r = queue_[static_cast<std::size_t>(queue_head_)];
    const double use = std::min(left, r.prefill_left_s);
    r.prefill_left_s -= use;
    left -= use;
    prefill_s += use;
    if (r.prefill_left_s <= 0.0) {
      decode_left_s_[static_cast<std::size_t>(decoding_++)] = r.decode_s;
      queue_head_ = (queue_head_ + 1) % kQueueCapacity;
      --queue_size_;
    }
  }
  const int batch = decoding_;
  const double decode_s = batch > 0 ? left : 0.0;
  for (int i = 0; i < decoding_;) {
    double& d = decode_left_s_[static_cast<std::size_t>(i)];
    d -= decode_s;
    if (d <= 0.0) {
      d = decode_left_s_[static_cast<std::size_t>(--decoding_)];
    } else {
      ++i;
    }
  }
  if (prefill_s <= 0.0 && decode_s <= 0.0) {
    out = {};
    return;
  }
  update_wobble(dt_s);
  const ActivityVector prefill = phase_activity(PhaseKind::llm_prefill);
  const ActivityVector decode = batch > 0 ? decode_activity(batch) : ActivityVector{};
  for (std::size_t k = 0; k < out.size(); ++k) {
    out[k] = (prefill_s * prefill[k] + decode_s * decode[k]) / dt_s;
  }
  apply_wobble(out);
}

}  // namespace migpower
