#pragma once

#include <Eigen/Core>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/frame.hpp"
#include "model/features.hpp"
#include "model/model_file.hpp"
#include "model/power_model.hpp"

namespace migpower {

struct TrainingDataOptions {
  // An instance is active when its GR_ENGINE_ACTIVE (SM_ACTIVE where GR is missing) exceeds
  // this. Idle instances of a MIG card still show a little activity now and then.
  double active_threshold = 0.05;
};

// Rows for an offline model: one per frame where one instance's own power is observable.
//
// Power exists only for the whole card, so a row comes from a frame in which exactly one
// instance is active and every other is idle: a full-GPU trace (one instance, no MIG) or an
// isolated-instance run. Its features are that instance's (share-scaled, so a 1g instance at
// full load looks like a full card at 1/7 load), its target the card's dynamic power:
// y = measured power − static power. The target is not rescaled by the share: the features
// already carry it, so the model maps share-scaled activity to card watts, which is what
// attribution needs from it. A lone instance's idle frames are rows too (they pin the model's
// zero); frames with several instances active are skipped and counted, since there the card's
// power is a sum the model cannot see into.
//
// Static power is the catalog's idle floor (GpuModel::idle_w) for known GPU models, as
// attribution's baseline idle floor takes it; for GPU models not in the catalog it is the lowest
// power of that GPU in all the training traces (the model layer does not know attribution's
// running minimum, and a whole trace's minimum is the better estimate).
struct TrainingData {
  FeatureMatrix x;                    // kFeatureCount columns
  Eigen::VectorXd y;                  // W
  std::vector<double> timestamp_s;    // per row
  std::vector<std::uint32_t> source;  // per row: index into summary.sources
  TrainingSummary summary;            // rows, time span, workloads, frames skipped
};

class TrainingDataBuilder {
 public:
  explicit TrainingDataBuilder(TrainingDataOptions options = {});

  // Reads every frame of `source` (a trace named `name`); `tick` is called once per frame.
  // Throws InputError when its GPU model differs from the frames before: a model is trained
  // for one GPU model.
  void add(FrameSource& source, const std::string& name,
           const std::function<void()>& tick = nullptr);
  // The rows so far, targets with the static power taken out. Leaves the builder empty.
  [[nodiscard]] TrainingData finish();

 private:
  struct GpuFloor {
    std::string uuid;
    double idle_w = 0.0;  // the catalog's, or 0 when not in the catalog
    bool catalogued = false;
    double min_power_w = 0.0;
    bool seen_power = false;
  };
  std::uint32_t gpu_index(const Frame& frame);
  void add_frame(const Frame& frame, std::uint32_t source);
  [[nodiscard]] bool active(const InstanceSample& instance) const;

  TrainingDataOptions options_;
  FeatureExtractor extractor_;
  std::vector<GpuFloor> gpus_;
  std::vector<double> features_;  // row-major, kFeatureCount per row
  std::vector<double> power_w_;
  std::vector<std::uint32_t> row_gpu_;
  std::vector<double> timestamp_s_;
  std::vector<std::uint32_t> source_;
  std::vector<std::string> workloads_;
  TrainingSummary summary_;
  bool have_gpu_model_ = false;
};

// Training and validation rows, split by time: each trace's time span is cut into `blocks`
// equal blocks and every (1/fraction)-th block is held out, so the validation rows are not the
// near-copies of training rows that neighbouring frames of a random split would be.
struct ValidationSplit {
  std::vector<Eigen::Index> training;
  std::vector<Eigen::Index> validation;
};
[[nodiscard]] ValidationSplit split_by_time_blocks(const TrainingData& data, double fraction,
                                                   std::size_t blocks = 20);

// The rows `rows` of data, as a matrix and targets.
void take_rows(const TrainingData& data, const std::vector<Eigen::Index>& rows, FeatureMatrix& x,
               Eigen::VectorXd& y);

}  // namespace migpower
