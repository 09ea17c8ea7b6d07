#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "sim/activity.hpp"
#include "sim/random.hpp"

namespace migpower {

// What runs in a simulated instance; its label is the frame's workload column.
enum class WorkloadKind {
  idle,          // nothing, ever
  gemm_fp32,     // batch GEMM on CUDA cores, with gaps between jobs
  gemm_tensor,   // batch GEMM on Tensor cores, with gaps between jobs
  gemm_batch,    // batch GEMM jobs, each on CUDA or Tensor cores
  memory_bound,  // streaming / gather jobs limited by DRAM bandwidth
  llm_serving,   // an inference server: requests arrive, prefill bursts, batched decode
  interactive,   // a notebook: long idle stretches, short bursts of any kind, memory held
};

[[nodiscard]] std::string_view workload_label(WorkloadKind kind);

// What the instance's kernels do at one moment.
enum class PhaseKind { idle, gemm_fp32, gemm_tensor, memory_bound, llm_prefill };

// Nominal activity while a phase runs (before jitter).
[[nodiscard]] ActivityVector phase_activity(PhaseKind kind);

// Activity of an LLM decode step with `batch` sequences in flight (1..kMaxDecodeBatch).
inline constexpr int kMaxDecodeBatch = 32;
[[nodiscard]] ActivityVector decode_activity(int batch);

// One instance's workload: a random sequence of phases, reproducible from its seed.
class Workload {
 public:
  // compute_slices scales the LLM server's speed and load; memory_mib bounds FB_USED.
  Workload(WorkloadKind kind, int compute_slices, double memory_mib, std::uint64_t seed);

  // Advances dt_s seconds and writes the mean activity over that step.
  void step(double dt_s, ActivityVector& out);

  [[nodiscard]] WorkloadKind kind() const { return kind_; }
  [[nodiscard]] double fb_used_mib() const { return fb_used_mib_; }

 private:
  struct Request {
    double prefill_left_s = 0.0;
    double decode_s = 0.0;
  };
  static constexpr int kQueueCapacity = 64;

  void start_phase(bool busy, double carry_s);
  void batch_step(double dt_s, ActivityVector& out);
  void serving_step(double dt_s, ActivityVector& out);
  void update_wobble(double dt_s);
  void apply_wobble(ActivityVector& a) const;

  WorkloadKind kind_;
  int compute_slices_;
  double memory_mib_;
  SimRng rng_;
  double fb_used_mib_ = 0.0;

  // Slow multiplicative fluctuation of compute and memory intensity (AR(1), ~2 s memory).
  double compute_wobble_ = 0.0;
  double memory_wobble_ = 0.0;
  double wobble_dt_s_ = -1.0;
  double wobble_rho_ = 0.0;

  // Batch kinds: the current phase.
  bool busy_ = false;
  PhaseKind phase_ = PhaseKind::idle;
  double phase_left_s_ = 0.0;
  ActivityVector target_{};

  // LLM server: request rate level, prefill queue, decode batch.
  double rate_per_s_ = 0.0;
  double level_left_s_ = 0.0;
  std::array<Request, kQueueCapacity> queue_{};
  int queue_head_ = 0;
  int queue_size_ = 0;
  std::array<double, kMaxDecodeBatch> decode_left_s_{};
  int decoding_ = 0;
};

}  // namespace migpower
