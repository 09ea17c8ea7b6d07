#pragma once

// A synthetic A100-SXM4-40GB whose instances' power is an exactly known linear function of the
// model features (model/features.hpp), for testing the online model without model misfit:
// convergence, tracking a changed power function, idle stretches, collinear instances. Not the
// simulator (src/sim): its coefficients are made up here and nothing is tuned to them.

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "core/fields.hpp"
#include "core/frame.hpp"
#include "model/features.hpp"

namespace migpower::testing {

// Watts per unit of each feature at full card share (features are already scaled by share).
inline FeatureVector synthetic_coefficients() {
  FeatureVector theta{};
  const auto r = [](ComputeTerm t) { return static_cast<std::size_t>(t); };
  const auto r3 = [](ComputeTerm t) { return kComputeTermCount + static_cast<std::size_t>(t); };
  theta[r(ComputeTerm::gr_engine)] = 25.0;
  theta[r(ComputeTerm::sm)] = 60.0;
  theta[r3(ComputeTerm::sm)] = 40.0;
  theta[r3(ComputeTerm::tensor)] = 140.0;
  theta[r3(ComputeTerm::fp32)] = 70.0;
  theta[r3(ComputeTerm::fp16)] = 30.0;
  theta[r(ComputeTerm::sm_times_dram)] = 25.0;
  theta[2 * kComputeTermCount] = 70.0;  // DRAM_ACTIVE
  return theta;
}

struct SyntheticOptions {
  std::uint64_t seed = 1;
  double duration_s = 3600.0;
  std::vector<std::string> profiles = {"3g.20gb", "2g.10gb", "1g.5gb", "1g.5gb"};
  // Instances in the same group run the same job at the same time (identical activity).
  std::vector<int> job_group = {0, 1, 2, 3};
  // From change_at_s on, the power function changes: every coefficient is scaled by
  // change_factor and the Tensor-core ones by change_tensor_factor on top (a different kernel
  // mix, a firmware or clock-policy change).
  double change_at_s = -1.0;
  double change_factor = 1.0;
  double change_tensor_factor = 1.0;
  double idle_from_s = -1.0;  // the whole card idles in [idle_from_s, idle_until_s)
  double idle_until_s = -1.0;
  double noise_w = 1.0;  // sensor noise, standard deviation
  std::string gpu_uuid = "GPU-synthetic";
  double start_timestamp_s = 1.0e9;
};

class SyntheticCard : public FrameSource {
 public:
  explicit SyntheticCard(SyntheticOptions options)
      : options_(std::move(options)),
        rng_(options_.seed),
        model_(find_gpu_model("A100-SXM4-40GB")),
        theta_(synthetic_coefficients()) {
    const int groups = *std::max_element(options_.job_group.begin(), options_.job_group.end()) + 1;
    jobs_.resize(static_cast<std::size_t>(groups));
    for (auto& job : jobs_) start_phase(job);
  }

  bool next(Frame& out) override {
    if (t_ >= options_.duration_s) return false;
    out.clear();
    out.timestamp_s = options_.start_timestamp_s + t_;
    out.timestamp_text = std::to_string(out.timestamp_s);
    out.gpu_uuid = options_.gpu_uuid;
    out.gpu_model = "NVIDIA A100-SXM4-40GB";
    out.sm_clock_mhz = model_->max_sm_clock_mhz;
    out.temperature_c = temperature_c_;
    out.power_limit_w = model_->tdp_w;
    const bool idle = t_ >= options_.idle_from_s && t_ < options_.idle_until_s;
    const bool changed = options_.change_at_s >= 0.0 && t_ >= options_.change_at_s;
    const double factor = changed ? options_.change_factor : 1.0;
    const double tensor_factor = changed ? options_.change_tensor_factor : 1.0;
    for (auto& job : jobs_) advance(job);

    FeatureExtractor extractor;
    int slices = 0;
    std::vector<double> dynamic;
    for (std::size_t i = 0; i < options_.profiles.size(); ++i) {
      InstanceSample instance;
      const MigProfile* profile = model_->find_profile(options_.profiles[i]);
      instance.gpu_i_id = static_cast<int>(i) + 1;
      instance.profile = profile->name;
      instance.compute_slices = profile->compute_slices;
      instance.memory_slices = profile->memory_slices;
      instance.workload = "job" + std::to_string(options_.job_group[i]);
      const Job& job = jobs_[static_cast<std::size_t>(options_.job_group[i])];
      for (std::size_t a = 0; a < kActivityCount; ++a) {
        instance.activity[a] = idle || !job.busy ? 0.0 : job.activity[a];
      }
      slices += instance.compute_slices;
      out.instances.push_back(std::move(instance));
    }
    const CardContext context = extractor.card(out);
    double total_dynamic = 0.0;
    for (const auto& instance : out.instances) {
      FeatureVector phi;
      FeatureExtractor::instance_features(context, instance, phi);
      double p = 0.0;
      for (std::size_t k = 0; k < kFeatureCount; ++k) {
        const bool tensor = k < 2 * kComputeTermCount &&
                            k % kComputeTermCount == static_cast<std::size_t>(ComputeTerm::tensor);
        p += theta_[k] * phi[k] * (tensor ? tensor_factor : 1.0);
      }
      dynamic.push_back(factor * p);
      total_dynamic += factor * p;
    }
    // Static power grows with temperature, which follows the card's power with a lag.
    const double static_w = 55.0 + 0.4 * (temperature_c_ - 30.0);
    const double settled = 25.0 + 0.125 * (static_w + total_dynamic);
    temperature_c_ = settled + (temperature_c_ - settled) * std::exp(-1.0 / 40.0);
    out.temperature_c = std::round(temperature_c_);
    for (std::size_t i = 0; i < out.instances.size(); ++i) {
      out.instances[i].truth_power_w =
          dynamic[i] + static_w * out.instances[i].compute_slices / static_cast<double>(slices);
    }
    out.power_w = static_w + total_dynamic + options_.noise_w * normal_(rng_);
    last_static_w_ = static_w;
    last_dynamic_w_ = dynamic;
    t_ += 1.0;
    return true;
  }

  // The true static power and per-instance dynamic power of the frame last returned.
  [[nodiscard]] double last_static_w() const { return last_static_w_; }
  [[nodiscard]] const std::vector<double>& last_dynamic_w() const { return last_dynamic_w_; }

 private:
  struct Job {
    bool busy = false;
    double remaining_s = 0.0;
    std::array<double, kActivityCount> activity{};
  };

  double uniform(double lo, double hi) { return std::uniform_real_distribution<>(lo, hi)(rng_); }

  void start_phase(Job& job) {
    job.busy = !job.busy;
    job.remaining_s = job.busy ? uniform(30.0, 150.0) : uniform(10.0, 60.0);
    if (!job.busy) return;
    const double sm = uniform(0.35, 0.95);
    auto set = [&](Activity a, double v) { job.activity[static_cast<std::size_t>(a)] = v; };
    set(Activity::gr_engine, std::min(1.0, sm + uniform(0.02, 0.1)));
    set(Activity::sm, sm);
    set(Activity::sm_occupancy, sm * uniform(0.2, 0.5));
    set(Activity::tensor, sm * uniform(0.0, 0.85));
    set(Activity::dram, uniform(0.15, 0.9));
    set(Activity::fp64, 0.0);
    set(Activity::fp32, sm * uniform(0.0, 0.7));
    set(Activity::fp16, sm * uniform(0.0, 0.3));
  }

  void advance(Job& job) {
    job.remaining_s -= 1.0;
    if (job.remaining_s <= 0.0) start_phase(job);
  }

  SyntheticOptions options_;
  std::mt19937_64 rng_;
  std::normal_distribution<> normal_{0.0, 1.0};
  const GpuModel* model_;
  FeatureVector theta_;
  std::vector<Job> jobs_;
  double t_ = 0.0;
  double temperature_c_ = 35.0;
  double last_static_w_ = 0.0;
  std::vector<double> last_dynamic_w_;
};

}  // namespace migpower::testing
