#pragma once

#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace migpower {

// What a report reads: attributed power and energy, one card at one instant (or one ledger
// bucket) at a time. A trace or the simulator gives it through attribution and the energy
// ledger (export/report_attributed_source.hpp); a SQLite or PostgreSQL ledger reader gives the
// same rows from stored buckets. Reports (export/report_builder.hpp) never attribute: they only
// sum, convert and draw what a ReportSource hands them.

// One instance's part of one ReportFrame.
struct ReportInstanceRow {
  int gpu_i_id = 0;
  std::string profile;
  int compute_slices = 0;  // 0 when unknown
  std::string workload;    // free label, may be empty
  // Attributed power at the frame (a bucket's mean), W; power_w = static_w + dynamic_w.
  double power_w = 0.0;
  double static_w = 0.0;
  double dynamic_w = 0.0;
  double sd_w = std::numeric_limits<double>::quiet_NaN();  // one sd of power_w; NaN: none given
  // Energy over the interval this frame closes, J; energy_j = static_energy_j + dynamic_energy_j.
  double energy_j = 0.0;
  double static_energy_j = 0.0;
  double dynamic_energy_j = 0.0;
  double energy_sd_j = std::numeric_limits<double>::quiet_NaN();  // sd_w over the interval
};

// One card at one instant, or one stored bucket. The instances' energy plus unattributed_j is
// the card's measured energy over the interval (energy conservation, the ledger's invariant).
struct ReportFrame {
  double timestamp_s = 0.0;  // the interval's end
  std::string gpu_uuid;
  std::string gpu_model;
  int card_compute_slices = 0;  // slices of the whole card; 0 when unknown
  bool has_power = false;       // false: nothing measured, powers are 0 and meaningless
  double card_power_w = 0.0;    // measured
  double unattributed_w = 0.0;  // static power the idle policy left to nobody
  double interval_s = 0.0;      // length of the interval this frame closes; 0 for the first
  double card_energy_j = 0.0;   // measured over that interval
  double unattributed_j = 0.0;
  // Carbon intensity of the electricity in the interval where the source recorded one (a
  // ledger bucket); the report's settings fill in what a source does not know.
  std::optional<double> carbon_g_per_kwh;         // location-based
  std::optional<double> market_carbon_g_per_kwh;  // market-based
  std::vector<ReportInstanceRow> instances;

  // Back to a new frame's state, keeping the storage of `instances`.
  void clear() {
    std::vector<ReportInstanceRow> rows = std::move(instances);
    rows.clear();
    *this = ReportFrame{};
    instances = std::move(rows);
  }
};

// How the figures were made, stated on every report.
struct ReportSourceInfo {
  std::string source;  // trace path, "scenario NAME (seed N)", ledger path or URL
  std::string method;
  std::string idle_policy;
};

class ReportSource {
 public:
  virtual ~ReportSource() = default;
  [[nodiscard]] virtual const ReportSourceInfo& info() const = 0;
  // Fills `out` with the next frame, reusing its storage, and returns true; false at the end.
  // Frames of one card come in time order; frames of one instant share a timestamp.
  virtual bool next(ReportFrame& out) = 0;
};

}  // namespace migpower
