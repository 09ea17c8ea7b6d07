#include "sim/scenarios.hpp"

#include "sim/simulator.hpp"

namespace migpower {
namespace {

std::vector<ScenarioSpec> build_scenarios() {
  using W = WorkloadKind;
  constexpr const char* kA100 = "NVIDIA A100-SXM4-40GB";
  return {
      {"single",
       "one 3g.20gb instance alone on an A100-40GB running GEMM jobs with idle gaps",
       kA100,
       std::nullopt,
       {{"3g.20gb", W::gemm_batch}}},
      {"seven-1g",
       "seven 1g.5gb instances on an A100-40GB: LLM serving, GEMM, memory-bound, notebook, idle",
       kA100,
       std::nullopt,
       {{"1g.5gb", W::llm_serving},
        {"1g.5gb", W::gemm_tensor},
        {"1g.5gb", W::gemm_fp32},
        {"1g.5gb", W::memory_bound},
        {"1g.5gb", W::gemm_batch},
        {"1g.5gb", W::interactive},
        {"1g.5gb", W::idle}}},
      {"mixed",
       "A100-40GB with 3g.20gb LLM serving, 2g.10gb tensor GEMM, 1g.5gb CUDA-core GEMM and "
       "1g.5gb memory-bound jobs",
       kA100,
       std::nullopt,
       {{"3g.20gb", W::llm_serving},
        {"2g.10gb", W::gemm_tensor},
        {"1g.5gb", W::gemm_fp32},
        {"1g.5gb", W::memory_bound}}},
      {"capped",
       "A100-40GB capped at 250 W with 4g.20gb and 3g.20gb both running tensor GEMM: clocks "
       "throttle",
       kA100,
       250.0,
       {{"4g.20gb", W::gemm_tensor}, {"3g.20gb", W::gemm_tensor}}},
      {"h100-mix",
       "H100-80GB with 3g.40gb LLM serving, 2g.20gb tensor GEMM, 1g.10gb memory-bound and "
       "1g.10gb CUDA-core GEMM",
       "NVIDIA H100 80GB HBM3",
       std::nullopt,
       {{"3g.40gb", W::llm_serving},
        {"2g.20gb", W::gemm_tensor},
        {"1g.10gb", W::memory_bound},
        {"1g.10gb", W::gemm_fp32}}},
      // Whole-card runs of one workload kind, as offline models are trained in the paper
      // (`experiment paper`): the 7g.40gb instance that spans the card.
      {"full-gpu-gemm-fp32",
       "the whole A100-40GB (one 7g.40gb instance) running CUDA-core GEMM jobs",
       kA100,
       std::nullopt,
       {{"7g.40gb", W::gemm_fp32}}},
      {"full-gpu-gemm-tensor",
       "the whole A100-40GB (one 7g.40gb instance) running Tensor-core GEMM jobs",
       kA100,
       std::nullopt,
       {{"7g.40gb", W::gemm_tensor}}},
      {"full-gpu-memory-bound",
       "the whole A100-40GB (one 7g.40gb instance) running memory-bound jobs",
       kA100,
       std::nullopt,
       {{"7g.40gb", W::memory_bound}}},
      {"full-gpu-llm-serving",
       "the whole A100-40GB (one 7g.40gb instance) serving LLM inference",
       kA100,
       std::nullopt,
       {{"7g.40gb", W::llm_serving}}},
  };
}

}  // namespace

std::span<const ScenarioSpec> scenario_specs() {
  static const std::vector<ScenarioSpec> kSpecs = build_scenarios();
  return kSpecs;
}

const ScenarioSpec* find_scenario(std::string_view name) {
  for (const auto& spec : scenario_specs()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::span<const ScenarioInfo> simulator_scenarios() {
  static const std::vector<ScenarioInfo> kInfos = [] {
    std::vector<ScenarioInfo> infos;
    for (const auto& spec : scenario_specs()) infos.push_back({spec.name, spec.description});
    return infos;
  }();
  return kInfos;
}

int nvml_instance_id(int compute_slices, int start) {
  switch (compute_slices) {
    case 7:
      return 0;
    case 4:
      return 1;
    case 3:
      return start == 0 ? 1 : 2;
    case 2:
      return 3 + start / 2;
    default:
      return 7 + start;
  }
}

}  // namespace migpower
