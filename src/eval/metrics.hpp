#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/frame.hpp"
#include "core/shares.hpp"
#include "ledger/energy_ledger.hpp"

namespace migpower {

// Error of one instance's attributed power against its ground truth.
struct InstanceErrors {
  std::string gpu_uuid;
  int gpu_i_id = 0;
  std::string profile;
  std::string workload;
  std::size_t frames = 0;  // frames with both an estimate and a truth
  double mape_pct = 0.0;   // over frames whose truth is at least kMapeFloorW
  double rmse_w = 0.0;
  double mae_w = 0.0;
  double truth_energy_j = 0.0;
  double estimated_energy_j = 0.0;
  double energy_error_pct = 0.0;  // signed: (estimated - truth) / truth
  // MAPE of the method's own estimate before reconciliation (InstanceShare::estimate_w), over
  // the frames where it is finite; nullopt for methods that give weights, not watts.
  std::optional<double> mape_before_pct;
  // Calibration of the method's uncertainty (InstanceShare::sd_w): the percentage of frames
  // whose truth lies within one and two standard deviations of power_w, over the frames with a
  // finite sd; nullopt for methods that give none.
  std::optional<double> coverage_1sd_pct;
  std::optional<double> coverage_2sd_pct;
  // The online model's identifiability diagnostic, averaged over the scored frames (1: the
  // card's signal pins the instance's power down; near 0: its split rests on the prior).
  std::optional<double> identifiability;
};

// Scores attributed power against truth_power_w, frame by frame.
class ErrorAccumulator {
 public:
  // Frames whose truth is below this are left out of MAPE (a percentage of ~0 W means nothing)
  // but still count in RMSE, MAE and WAPE.
  static constexpr double kMapeFloorW = 1.0;

  void add(const Frame& frame, const FrameAttribution& attribution);

  // Per instance errors; energies come from the ledger that integrated the same frames.
  [[nodiscard]] std::vector<InstanceErrors> instance_errors(const EnergyLedger& ledger) const;
  // Sum of |estimate - truth| over sum of truth, all instances and frames.
  [[nodiscard]] double wape_pct() const;
  // Mean over frames of |sum of shares + unattributed - measured| / measured.
  [[nodiscard]] double aggregate_error_pct() const;
  // The same two before scaling: from InstanceShare::estimate_w in place of power_w, over the
  // frames where every instance's estimate is finite; nullopt when no frame had one (the
  // baselines, which give weights, not watts).
  [[nodiscard]] std::optional<double> wape_before_pct() const;
  [[nodiscard]] std::optional<double> aggregate_error_before_pct() const;
  // The same coverage over every instance and frame with a finite sd; nullopt when none had one.
  [[nodiscard]] std::optional<double> coverage_1sd_pct() const;
  [[nodiscard]] std::optional<double> coverage_2sd_pct() const;
  [[nodiscard]] double max_aggregate_error_w() const { return max_aggregate_error_w_; }
  [[nodiscard]] std::size_t frames() const { return frames_; }
  [[nodiscard]] std::size_t frames_with_truth() const { return frames_with_truth_; }

 private:
  struct Sums {
    std::size_t frames = 0;
    std::size_t mape_frames = 0;
    double ape_sum = 0.0;
    double abs_sum = 0.0;
    double sq_sum = 0.0;
    std::size_t before_mape_frames = 0;  // frames with a finite estimate and truth >= floor
    double before_ape_sum = 0.0;
    std::size_t sd_frames = 0;  // frames with a finite sd
    std::size_t within_1sd = 0;
    std::size_t within_2sd = 0;
  };
  std::map<std::pair<std::string, int>, Sums> per_instance_;
  double abs_error_sum_w_ = 0.0;
  double truth_sum_w_ = 0.0;
  double aggregate_relative_sum_ = 0.0;
  double before_abs_error_sum_w_ = 0.0;
  double before_truth_sum_w_ = 0.0;
  double before_aggregate_relative_sum_ = 0.0;
  std::size_t frames_with_estimates_ = 0;  // with power and a finite estimate for everyone
  double max_aggregate_error_w_ = 0.0;
  std::size_t sd_frames_ = 0;
  std::size_t within_1sd_ = 0;
  std::size_t within_2sd_ = 0;
  std::size_t frames_ = 0;
  std::size_t frames_with_power_ = 0;
  std::size_t frames_with_truth_ = 0;
};

}  // namespace migpower
