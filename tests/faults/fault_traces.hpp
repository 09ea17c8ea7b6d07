#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "attribution/attributor.hpp"
#include "core/error.hpp"
#include "core/frame.hpp"
#include "ledger/energy_ledger.hpp"
#include "sources/prefetching_source.hpp"
#include "trace/trace_reader.hpp"
#include "vector_source.hpp"

// Builders for broken traces and a harness that runs them through the whole pipeline
// (source -> PrefetchingSource -> Attributor -> EnergyLedger), checking every frame's split.
namespace migpower::faults {

inline constexpr double kTol = 1e-9;
inline constexpr const char* kA100 = "NVIDIA A100-SXM4-40GB";  // idle 55 W, TDP 400 W

inline bool near(double a, double b) {
  return std::abs(a - b) <= kTol * std::max({1.0, std::abs(a), std::abs(b)});
}

// A folder of its own per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-faults-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" +
            info->name());
    std::filesystem::create_directories(dir_);
  }
  ~TempDir() { std::filesystem::remove_all(dir_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `text` byte for byte (no newline added) and returns the path.
  [[nodiscard]] std::string write(const std::string& name, const std::string& text) const {
    const auto path = dir_ / name;
    std::ofstream(path, std::ios::binary) << text;
    return path.string();
  }

 private:
  std::filesystem::path dir_;
};

inline std::string num(double value) {
  std::ostringstream out;
  out.precision(15);
  out << value;
  return out.str();
}

inline std::string opt(const std::optional<double>& value) { return value ? num(*value) : ""; }

inline const std::string kHeader =
    "timestamp,gpu_uuid,gpu_model,gpu_i_id,gpu_i_profile,workload,DCGM_FI_DEV_POWER_USAGE,"
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION,DCGM_FI_PROF_GR_ENGINE_ACTIVE\n";

inline std::string card_row(double t, const std::string& uuid, std::optional<double> power_w,
                            std::optional<double> energy_mj = std::nullopt,
                            const std::string& model = kA100) {
  return num(t) + "," + uuid + "," + model + ",,,," + opt(power_w) + "," + opt(energy_mj) + ",\n";
}

inline std::string instance_row(double t, const std::string& uuid, int id,
                                const std::string& profile, std::optional<double> gr,
                                const std::string& workload = "") {
  return num(t) + "," + uuid + ",," + std::to_string(id) + "," + profile + "," + workload + ",,," +
         opt(gr) + "\n";
}

// One instance of a layout: id, profile, GR_ENGINE_ACTIVE.
struct Slot {
  int id;
  std::string profile;
  double gr;
};

inline const std::vector<Slot> kMixed = {
    {1, "3g.20gb", 0.8}, {2, "2g.10gb", 0.5}, {3, "1g.5gb", 0.0}, {4, "1g.5gb", 0.6}};

// A card row and its instance rows at one instant.
inline std::string instant(double t, const std::string& uuid, std::optional<double> power_w,
                           std::optional<double> energy_mj = std::nullopt,
                           const std::vector<Slot>& layout = kMixed) {
  std::string rows = card_row(t, uuid, power_w, energy_mj);
  for (const Slot& s : layout) rows += instance_row(t, uuid, s.id, s.profile, s.gr);
  return rows;
}

// The frame a source would make of instant(): slices read from the profile name ("3g" = 3).
inline Frame make_frame(double t, const std::string& uuid, std::optional<double> power_w,
                        std::optional<double> energy_mj = std::nullopt,
                        const std::vector<Slot>& layout = kMixed) {
  Frame f;
  f.timestamp_s = t;
  f.timestamp_text = num(t);
  f.gpu_uuid = uuid;
  f.gpu_model = kA100;
  f.power_w = power_w;
  f.energy_mj = energy_mj;
  for (const Slot& s : layout) {
    InstanceSample sample;
    sample.gpu_i_id = s.id;
    sample.profile = s.profile;
    sample.compute_slices = s.profile.front() - '0';
    sample.set(Activity::gr_engine, s.gr);
    f.instances.push_back(std::move(sample));
  }
  return f;
}

using test::VectorSource;

// What a run through the pipeline left behind.
struct PipelineRun {
  EnergyLedger ledger;
  std::vector<double> timestamps;  // of the frames delivered, in order
  std::size_t rows_skipped = 0;
  std::optional<std::string> error;  // what() of the error that stopped the run
  std::size_t error_line = 0;        // of a LocatedError
  std::string error_column;
  std::string error_file;
};

// Keeps what stopped a run, with the location when it is a LocatedError.
inline void record_error(PipelineRun& run, const std::exception& e) {
  run.error = e.what();
  if (const auto* located = dynamic_cast<const LocatedError*>(&e)) {
    run.error_line = located->line();
    run.error_column = located->column();
    run.error_file = located->file();
  }
}

// Every frame's split: finite, non-negative, adding up to the measured power.
inline void expect_valid_split(const Frame& frame, const FrameAttribution& a) {
  if (!a.has_power) {
    EXPECT_TRUE(a.shares.empty());
    return;
  }
  ASSERT_EQ(a.shares.size(), frame.instances.size());
  double sum = a.unattributed_w;
  EXPECT_TRUE(std::isfinite(a.unattributed_w) && a.unattributed_w >= 0.0) << a.unattributed_w;
  for (const InstanceShare& s : a.shares) {
    EXPECT_TRUE(std::isfinite(s.power_w) && s.static_w >= 0.0 && s.dynamic_w >= 0.0)
        << "instance " << s.gpu_i_id << " at " << frame.timestamp_s << ": " << s.static_w << " + "
        << s.dynamic_w;
    EXPECT_TRUE(near(s.static_w + s.dynamic_w, s.power_w));
    sum += s.power_w;
  }
  EXPECT_TRUE(near(sum, a.measured_w)) << sum << " vs " << a.measured_w;
}

// Pulls frames until the end or an error, keeping what was counted before the error.
inline void drain(FrameSource& source, PipelineRun& run, AttributionOptions options = {}) {
  Attributor attributor(options);
  Frame frame;
  FrameAttribution attribution;
  try {
    while (source.next(frame)) {
      attributor.attribute(frame, attribution);
      expect_valid_split(frame, attribution);
      run.ledger.add(frame, attribution);
      run.timestamps.push_back(frame.timestamp_s);
    }
  } catch (const std::exception& e) {  // located errors keep their file, line and column
    record_error(run, e);
  }
}

// A trace file through TraceReader -> PrefetchingSource -> Attributor -> EnergyLedger.
inline PipelineRun run_trace(const std::string& path, bool lenient, std::size_t batch_frames = 2,
                             AttributionOptions options = {}) {
  PipelineRun run;
  try {
    TraceReader reader(path, TraceReaderOptions{lenient});
    {
      PrefetchingSource prefetched(reader, batch_frames, 2);
      drain(prefetched, run, options);
    }
    run.rows_skipped = reader.rows_skipped();
  } catch (const std::exception& e) {  // located errors keep their file, line and column
    record_error(run, e);
  }
  return run;
}

// One card reading as the test wrote it.
struct Reading {
  double t;
  double power_w;
  std::optional<double> energy_mj;
};

// The card energy the trace-format contract promises (docs/attribution.md "Energy integration"),
// computed from the readings the test wrote, not from the frames the reader made.
struct Expected {
  double energy_j = 0.0;
  std::size_t counter_intervals = 0;
  std::size_t power_intervals = 0;
};
inline Expected integrate(const std::vector<Reading>& readings) {
  Expected e;
  for (std::size_t k = 1; k < readings.size(); ++k) {
    const Reading& a = readings[k - 1];
    const Reading& b = readings[k];
    const double dt = b.t - a.t;
    if (a.energy_mj && b.energy_mj) {
      const double delta = (*b.energy_mj - *a.energy_mj) / 1000.0;
      const double p = std::max(a.power_w, b.power_w);
      if (delta >= 0.0 && delta <= 2.0 * p * dt + p + 10.0) {
        e.energy_j += delta;
        ++e.counter_intervals;
        continue;
      }
    }
    e.energy_j += b.power_w * dt;
    ++e.power_intervals;
  }
  return e;
}

inline const CardEnergy* find_card(const EnergyLedger& ledger, const std::string& uuid) {
  for (const CardEnergy& c : ledger.cards()) {
    if (c.gpu_uuid == uuid) return &c;
  }
  return nullptr;
}

inline std::vector<const InstanceEnergy*> find_instances(const EnergyLedger& ledger,
                                                         const std::string& uuid, int id,
                                                         const std::string& profile) {
  std::vector<const InstanceEnergy*> found;
  for (const InstanceEnergy& e : ledger.instances()) {
    if (e.gpu_uuid == uuid && e.gpu_i_id == id && e.profile == profile) found.push_back(&e);
  }
  return found;
}

// Per card: instances + unattributed == card energy; nothing negative or NaN.
inline void expect_conserved(const EnergyLedger& ledger) {
  for (const CardEnergy& card : ledger.cards()) {
    EXPECT_TRUE(std::isfinite(card.energy_j) && card.energy_j >= 0.0) << card.energy_j;
    EXPECT_TRUE(std::isfinite(card.unattributed_j) && card.unattributed_j >= 0.0);
    double sum = card.unattributed_j;
    for (const InstanceEnergy& e : ledger.instances()) {
      if (e.gpu_uuid != card.gpu_uuid) continue;
      EXPECT_TRUE(std::isfinite(e.energy_j) && e.energy_j >= 0.0) << e.energy_j;
      EXPECT_GE(e.static_energy_j, 0.0);
      EXPECT_GE(e.dynamic_energy_j, 0.0);
      EXPECT_TRUE(near(e.static_energy_j + e.dynamic_energy_j, e.energy_j));
      sum += e.energy_j;
    }
    EXPECT_TRUE(near(sum, card.energy_j))
        << card.gpu_uuid << ": parts " << sum << " vs card " << card.energy_j;
  }
}

}  // namespace migpower::faults
