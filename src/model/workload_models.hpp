#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/frame.hpp"
#include "model/features.hpp"

namespace migpower {

// The paper's online method (arXiv 2501.17752, "workload-specific models"): for each instance a
// linear model of its dynamic power in its own features (model/features.hpp), fitted while the
// workload runs, only on frames where that instance's power is observable: it is the one active
// instance and every other reports GR_ENGINE_ACTIVE below the threshold, so the card's measured
// power minus its static floor is the instance's own dynamic power. During concurrency the
// models are applied and the attributor scales their sum to the measured total.
struct WorkloadModelSettings {
  // GR_ENGINE_ACTIVE at or above this is "active"; a frame teaches an instance only if it is
  // active and every other instance reports a value below it.
  double active_threshold = 0.05;
  // Frames an instance must have been seen alone before its model replaces the fallback: fewer
  // cannot pin down a model of kFeatureCount terms.
  std::size_t min_isolated_frames = 30;
  // Ridge term relative to the mean diagonal of XᵀX. Each compute term appears times r and r³,
  // which are collinear while the clock holds still; the ridge keeps the fit determined.
  double relative_ridge = 1e-2;
};

// One instance's workload model: least squares on every isolated frame seen, kept as running
// normal equations (XᵀX, Xᵀy), which is recursive least squares without forgetting, refitted
// (a 22 × 22 Cholesky solve) only when asked for a prediction after new data.
class WorkloadModel {
 public:
  explicit WorkloadModel(double relative_ridge = WorkloadModelSettings{}.relative_ridge);
  void learn(std::span<const double, kFeatureCount> features, double dynamic_w);
  [[nodiscard]] double predict(std::span<const double, kFeatureCount> features);
  [[nodiscard]] std::size_t frames() const { return frames_; }

 private:
  using Matrix = Eigen::Matrix<double, kFeatureCount, kFeatureCount>;
  using Vector = Eigen::Matrix<double, kFeatureCount, 1>;
  void refit();

  double relative_ridge_;
  Matrix xtx_ = Matrix::Zero();
  Vector xty_ = Vector::Zero();
  Vector coefficients_ = Vector::Zero();
  std::size_t frames_ = 0;
  bool stale_ = false;
};

// Workload models for every instance of every GPU in one stream of frames.
//
// An instance is keyed by GPU, GPU instance id, profile and workload label: a new label (a new
// tenant, a new job) starts a new model, since the models are workload-specific.
//
// Until an instance has min_isolated_frames isolated frames, its estimate is the utilization
// rule in watts: GR_ENGINE_ACTIVE × its share of the card's SMs × the card's dynamic range
// (catalog TDP − idle, or for uncatalogued cards the highest power seen above the floor). It is
// a nameplate guess that never reads the measured power, so "before scaling" stays honest.
class WorkloadModels {
 public:
  explicit WorkloadModels(WorkloadModelSettings settings = {});

  // Writes each instance's dynamic power estimate in W (out.size() == frame.instances.size()),
  // then learns from the frame if one instance's power is observable in it. static_w is the
  // card's static floor this frame (the attributor's idle floor); the learning target is
  // measured power − static_w. Estimates use only earlier frames.
  void estimate_and_learn(const Frame& frame, double static_w, std::span<double> out);

  // The model of an instance, nullptr when it has never been seen (for tests and reports).
  [[nodiscard]] const WorkloadModel* find(std::string_view gpu_uuid, int gpu_i_id,
                                          std::string_view workload = {}) const;
  // Instances whose estimate currently comes from their model, not the fallback.
  [[nodiscard]] std::size_t modelled_instances() const;
  [[nodiscard]] const WorkloadModelSettings& settings() const { return settings_; }

 private:
  struct Entry {
    std::string gpu_uuid;
    int gpu_i_id = 0;
    std::string profile;
    std::string workload;
    WorkloadModel model;
  };
  struct GpuRange {
    std::string gpu_uuid;
    double max_power_w = 0.0;
  };
  std::size_t entry_index(const std::string& gpu_uuid, const InstanceSample& instance);
  [[nodiscard]] double dynamic_range_w(const Frame& frame, const CardContext& card,
                                       double static_w);
  // The one active instance when all others are known to be idle, else -1.
  [[nodiscard]] int isolated_instance(const Frame& frame) const;

  WorkloadModelSettings settings_;
  FeatureExtractor extractor_;
  std::vector<Entry> entries_;  // few instances per host: a linear search beats hashing
  std::vector<GpuRange> ranges_;
  std::vector<std::size_t> frame_entries_;  // scratch: entries_ index per instance of the frame
  std::vector<FeatureVector> frame_features_;
};

}  // namespace migpower
