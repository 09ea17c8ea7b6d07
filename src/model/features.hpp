#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/frame.hpp"

namespace migpower {

// What every power model sees of one instance in one frame (docs/models.md explains each term).
//
// Activity fields are fractions of the instance's own resources, so each is scaled by the
// instance's share of the card: its SMs over the card's for compute fields, its memory slices
// over the card's for DRAM. A 1g instance at SM_ACTIVE 1 then weighs 1/7 of a full card.
//
// Compute terms run on the SM clock, whose dynamic power goes as f·V(f)². V(f) is not known, so
// each compute term appears twice, times r and times r³ (r = SM clock / max clock): a linear
// model fits any a·r + b·r³ between "voltage flat" and "voltage proportional to clock", so a
// throttled card is modelled, not mistaken for a lighter load. DRAM power runs on the memory
// clock and is not clock-scaled. Squares let linear models follow saturating curves.
enum class ComputeTerm : std::size_t {
  gr_engine,
  sm,
  sm_squared,
  sm_occupancy,
  tensor,
  tensor_squared,
  fp64,
  fp32,
  fp16,
  sm_times_dram,  // L2/crossbar traffic costs when SMs and memory are both busy
};
inline constexpr std::size_t kComputeTermCount = 10;
inline constexpr std::size_t kMemoryTermCount = 2;  // dram, dram²
inline constexpr std::size_t kFeatureCount = 2 * kComputeTermCount + kMemoryTermCount;

// Feature i's name, e.g. "SM_ACTIVE*r", "SM_ACTIVE^2*r3", "DRAM_ACTIVE".
[[nodiscard]] std::span<const std::string> feature_names();

// Card-level inputs of the static (idle-floor) power: 1, t, t², r with t = (T − 30 °C) / 50 °C.
// Leakage grows about exponentially with temperature; a quadratic follows it over 30–90 °C.
inline constexpr std::size_t kStaticFeatureCount = 4;
[[nodiscard]] std::span<const std::string> static_feature_names();

using FeatureVector = std::array<double, kFeatureCount>;
using StaticFeatureVector = std::array<double, kStaticFeatureCount>;

// The card a frame describes, as the features need it.
struct CardContext {
  double clock_ratio = 1.0;  // r: SM clock / max SM clock, 1 when unknown
  double temperature_c = 30.0;
  int compute_slices = 7;  // the card's, for shares when SM counts are unknown
  int memory_slices = 8;
  int sm_count = 0;  // 0 when unknown
  const GpuModel* model = nullptr;
};

// Turns frames into features. Keeps a little per-GPU state (the catalog entry, the highest
// clock seen for cards not in the catalog), so one extractor serves one stream of frames.
class FeatureExtractor {
 public:
  [[nodiscard]] CardContext card(const Frame& frame);
  // Fills `out` with kFeatureCount features of `instance` on the card `card` describes.
  static void instance_features(const CardContext& card, const InstanceSample& instance,
                                std::span<double, kFeatureCount> out);
  static void static_features(const CardContext& card, std::span<double, kStaticFeatureCount> out);

  // The instance's share of the card's SMs (compute) and memory, as used above.
  [[nodiscard]] static double compute_share(const CardContext& card,
                                            const InstanceSample& instance);
  [[nodiscard]] static double memory_share(const CardContext& card, const InstanceSample& instance);

 private:
  struct GpuState {
    std::string uuid;
    std::string model_name;
    const GpuModel* model = nullptr;
    double max_clock_seen_mhz = 0.0;
  };
  GpuState& state_for(const Frame& frame);
  std::vector<GpuState> gpus_;  // few GPUs per host: a linear search beats hashing
};

}  // namespace migpower
