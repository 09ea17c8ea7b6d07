#include "sim/workload.hpp"

#include <gtest/gtest.h>

namespace migpower {
namespace {

constexpr double kDt = 0.1;

// Runs a workload for `seconds` and collects per-second means of its activity.
std::vector<ActivityVector> run(WorkloadKind kind, int slices, double seconds,
                                std::uint64_t seed = 7, double memory_mib = 20480.0) {
  Workload w(kind, slices, memory_mib, seed);
  std::vector<ActivityVector> seconds_out;
  ActivityVector a{};
  ActivityVector sum{};
  for (int i = 1; i <= static_cast<int>(seconds / kDt); ++i) {
    w.step(kDt, a);
    for (std::size_t k = 0; k < a.size(); ++k) sum[k] += a[k];
    EXPECT_LE(w.fb_used_mib(), memory_mib);
    EXPECT_GE(w.fb_used_mib(), 0.0);
    if (i % 10 == 0) {
      for (double& v : sum) v /= 10.0;
      seconds_out.push_back(sum);
      sum = {};
    }
  }
  return seconds_out;
}

TEST(SimWorkload, PhasesHaveTheirCharacter) {
  const auto tensor = phase_activity(PhaseKind::gemm_tensor);
  const auto fp32 = phase_activity(PhaseKind::gemm_fp32);
  const auto memory = phase_activity(PhaseKind::memory_bound);
  EXPECT_GT(at(tensor, Activity::tensor), 0.6);
  EXPECT_GT(at(fp32, Activity::fp32), 0.6);
  EXPECT_EQ(at(fp32, Activity::tensor), 0.0);
  // Memory-bound: the engine is busy although SMs are mostly stalled.
  EXPECT_GT(at(memory, Activity::gr_engine), 0.95);
  EXPECT_LT(at(memory, Activity::sm), 0.5);
  EXPECT_GT(at(memory, Activity::dram), 0.8);
  // Decode reads more DRAM and uses fewer SMs than prefill; bigger batches do more of both.
  const auto prefill = phase_activity(PhaseKind::llm_prefill);
  const auto decode = decode_activity(4);
  EXPECT_GT(at(decode, Activity::dram), at(prefill, Activity::dram));
  EXPECT_LT(at(decode, Activity::sm), at(prefill, Activity::sm));
  EXPECT_GT(at(decode_activity(16), Activity::dram), at(decode_activity(2), Activity::dram));
}

TEST(SimWorkload, BatchJobsAlternateBusyAndIdle) {
  const auto seconds = run(WorkloadKind::gemm_tensor, 3, 1500.0);
  int busy = 0;
  int idle = 0;
  for (const auto& a : seconds) {
    for (double v : a) {
      EXPECT_GE(v, 0.0);
      EXPECT_LE(v, 1.0);
    }
    EXPECT_LE(at(a, Activity::sm), at(a, Activity::gr_engine) + 1e-12);
    EXPECT_LE(at(a, Activity::tensor), at(a, Activity::sm) + 1e-12);
    if (at(a, Activity::tensor) > 0.6) ++busy;
    if (at(a, Activity::gr_engine) == 0.0) ++idle;
  }
  EXPECT_GT(busy, 300);
  EXPECT_GT(idle, 10);
}

TEST(SimWorkload, LlmServingMixesPrefillAndDecode) {
  const auto seconds = run(WorkloadKind::llm_serving, 3, 3000.0);
  int prefill_heavy = 0;
  int decode_heavy = 0;
  for (const auto& a : seconds) {
    if (at(a, Activity::tensor) > 0.4) ++prefill_heavy;
    if (at(a, Activity::dram) > 0.5 && at(a, Activity::tensor) < 0.3) ++decode_heavy;
  }
  EXPECT_GT(prefill_heavy, 20);
  EXPECT_GT(decode_heavy, 100);
}

TEST(SimWorkload, IdleIsAllZeroAndSeedsMatter) {
  for (const auto& a : run(WorkloadKind::idle, 1, 50.0)) {
    for (double v : a) EXPECT_EQ(v, 0.0);
  }
  const auto one = run(WorkloadKind::gemm_batch, 2, 300.0, 1);
  const auto same = run(WorkloadKind::gemm_batch, 2, 300.0, 1);
  const auto other = run(WorkloadKind::gemm_batch, 2, 300.0, 2);
  EXPECT_EQ(one, same);
  EXPECT_NE(one, other);
}

TEST(SimWorkload, LabelsAreDistinct) {
  EXPECT_EQ(workload_label(WorkloadKind::llm_serving), "llm-serving");
  EXPECT_EQ(workload_label(WorkloadKind::memory_bound), "memory-bound");
  EXPECT_NE(workload_label(WorkloadKind::gemm_fp32), workload_label(WorkloadKind::gemm_tensor));
}

}  // namespace
}  // namespace migpower
