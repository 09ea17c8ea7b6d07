// Sources that fail: throw mid-stream, hand out garbage, or are slow.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "faults/fault_traces.hpp"

namespace migpower::faults {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

double power_at(int k) { return 150.0 + 10.0 * (k % 5); }

// Frames of GPU-a at 100, 101, ...; throws `error` instead of frame `fail_at`, or sleeps before
// each frame.
class FaultySource : public FrameSource {
 public:
  FaultySource(int total, int fail_at, bool input_error,
               std::chrono::microseconds delay = std::chrono::microseconds(0))
      : total_(total), fail_at_(fail_at), input_error_(input_error), delay_(delay) {}
  bool next(Frame& out) override {
    if (produced_ == fail_at_) {
      if (input_error_) throw InputError("collector lost: frame " + std::to_string(produced_));
      throw std::runtime_error("socket closed");
    }
    if (produced_ == total_) return false;
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    out = make_frame(100.0 + produced_, "GPU-a", power_at(produced_));
    ++produced_;
    return true;
  }

 private:
  int total_;
  int fail_at_;
  bool input_error_;
  std::chrono::microseconds delay_;
  int produced_ = 0;
};

std::vector<Reading> readings(int count) {
  std::vector<Reading> out;
  for (int k = 0; k < count; ++k) out.push_back({100.0 + k, power_at(k), std::nullopt});
  return out;
}

TEST(FailingSource, ErrorMidStreamSurfacesAfterEveryFrameBeforeIt) {
  for (const bool input_error : {true, false}) {
    FaultySource inner(100, 10, input_error);
    PrefetchingSource source(inner, 4, 2);  // the error falls inside the third batch
    PipelineRun run;
    drain(source, run);
    ASSERT_TRUE(run.error.has_value());
    EXPECT_EQ(*run.error, input_error ? "collector lost: frame 10" : "socket closed");
    ASSERT_EQ(run.timestamps.size(), 10u);
    for (std::size_t k = 0; k < run.timestamps.size(); ++k) {
      EXPECT_EQ(run.timestamps[k], 100.0 + static_cast<double>(k));
    }
    EXPECT_TRUE(near(run.ledger.cards().at(0).energy_j, integrate(readings(10)).energy_j));
    expect_conserved(run.ledger);
  }
}

TEST(FailingSource, SlowSourceThroughPrefetchingIsOrderedAndComplete) {
  FaultySource inner(40, -1, true, std::chrono::microseconds(500));
  PrefetchingSource source(inner, 3, 2);
  PipelineRun run;
  drain(source, run);
  ASSERT_FALSE(run.error.has_value()) << *run.error;
  ASSERT_EQ(run.timestamps.size(), 40u);
  for (std::size_t k = 0; k < run.timestamps.size(); ++k) {
    EXPECT_EQ(run.timestamps[k], 100.0 + static_cast<double>(k));
  }
  EXPECT_TRUE(near(run.ledger.cards().at(0).energy_j, integrate(readings(40)).energy_j));
  expect_conserved(run.ledger);
}

// Garbage no reader would let through, straight into the Attributor (every method and policy).
TEST(FailingSource, GarbageFramesNeverGiveNegativeOrNaNShares) {
  std::vector<Frame> frames;
  for (const double power : {200.0, kNaN, -50.0, kInf, -kInf, 0.0, 1e-300, 180.0}) {
    frames.push_back(make_frame(100.0 + static_cast<double>(frames.size()), "GPU-a", power));
  }
  Frame weird = make_frame(108, "GPU-a", 220.0);
  const double activities[] = {kNaN, -1.0, 5.0, kInf};
  for (std::size_t i = 0; i < weird.instances.size(); ++i) {
    weird.instances[i].set(Activity::gr_engine, activities[i]);
  }
  weird.instances[1].compute_slices = -3;  // counts as one slice
  frames.push_back(weird);
  Frame all_nan = make_frame(109, "GPU-a", 230.0);
  for (InstanceSample& s : all_nan.instances) s.set(Activity::gr_engine, kNaN);
  frames.push_back(all_nan);
  Frame empty = make_frame(110, "GPU-a", 240.0);
  empty.instances.clear();
  frames.push_back(empty);
  Frame unknown = make_frame(111, "GPU-z", 90.0);
  unknown.gpu_model = "Mystery GPU";
  for (InstanceSample& s : unknown.instances) s.compute_slices = 0;
  frames.push_back(unknown);

  for (const SplitMethod method :
       {SplitMethod::equal, SplitMethod::slices, SplitMethod::utilization}) {
    for (const IdlePolicy policy : {IdlePolicy::slices, IdlePolicy::active, IdlePolicy::none}) {
      Attributor attributor({method, policy, Activity::gr_engine});
      EnergyLedger ledger;
      FrameAttribution a;
      for (const Frame& f : frames) {
        attributor.attribute(f, a);
        expect_valid_split(f, a);  // finite, >= 0, summing to the measured power
        const bool sane = f.power_w && std::isfinite(*f.power_w) && *f.power_w >= 0.0;
        EXPECT_EQ(a.has_power, sane) << "power " << *f.power_w;
        ledger.add(f, a);
      }
      expect_conserved(ledger);
      const CardEnergy* card = find_card(ledger, "GPU-a");
      ASSERT_NE(card, nullptr);
      EXPECT_EQ(card->frames_without_power, 4u);  // NaN, -50, +inf, -inf: not measurements
      // The last of them (-inf at 104) is bridged by the 0 W frame at 105: 0 J, then 1e-300 W
      // and 180 W for 1 s each, 220, 230 and 240 W.
      EXPECT_TRUE(near(card->energy_j, 5 * 0.0 + 1e-300 + 180 + 220 + 230 + 240)) << card->energy_j;
      // No instances at 110: the frame's energy is the operator's, nobody else's.
      EXPECT_GE(card->unattributed_j, 240.0 - kTol);
    }
  }
}

// A frame whose timestamp is not a number would make every later interval NaN.
TEST(FailingSource, NonFiniteTimestampIsRejectedBeforeItPoisonsTheLedger) {
  for (const double bad : {kNaN, kInf}) {
    VectorSource source({make_frame(100, "GPU-a", 200.0), make_frame(bad, "GPU-a", 200.0),
                         make_frame(102, "GPU-a", 200.0)});
    PipelineRun run;
    drain(source, run);
    ASSERT_TRUE(run.error.has_value()) << bad;
    EXPECT_NE(run.error->find("timestamp"), std::string::npos) << *run.error;
    expect_conserved(run.ledger);
    EXPECT_EQ(run.ledger.cards().at(0).energy_j, 0.0);
  }
}

}  // namespace
}  // namespace migpower::faults
