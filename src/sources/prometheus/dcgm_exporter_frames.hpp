#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/frame.hpp"
#include "sources/prometheus/prometheus_text.hpp"

namespace migpower {

// A card as dcgm-exporter labels it.
struct DcgmExporterCard {
  std::string uuid;        // UUID (or the old uuid): the card's, also on its MIG instances' series
  std::string gpu_index;   // gpu
  std::string pci_bus_id;  // recent exporters only
  std::string device;      // nvidia0
  std::string model;       // modelName
  std::string hostname;    // Hostname (before mid-2026) or hostname
};

// Turns the samples of one dcgm-exporter scrape into frames, one per card (the `gpu`/`UUID`
// labels), in the order the cards first appear. Usable as the visitor of PrometheusTextParser,
// or fed samples one by one (the Prometheus importer does that per time step).
//
// The facts it builds on (SOURCES.md, dcgm-exporter's documented output):
// - Under MIG there is no series for the card itself: series carry GPU_I_ID and GPU_I_PROFILE,
//   and card fields (power, energy, clocks, temperature, power limit) are repeated on every
//   instance series with the card's value, each copy sampled at its own time. One value is
//   taken per card (the series without GPU_I_ID when there is one, else the median copy, itself
//   a reading), never a sum.
// - DCGM_FI_PROF_* and DCGM_FI_DEV_FB_USED belong to the instance of their series. On a card
//   without MIG (no series with GPU_I_ID), they go to one whole-card instance, id 0, no profile.
// - A series that is absent is a missing value, never 0. NaN and infinities are missing too.
// - Kubernetes labels pod/namespace/container (or, with --use-old-namespace, pod_name/
//   pod_namespace/container_name) become InstanceSample::workload "namespace/pod/container"
//   (the parts present); several workloads on one instance are joined with ';'.
// - Samples rarely carry a timestamp: a card's frame is stamped with the scrape time, or with its
//   latest sample timestamp when it has one.
class DcgmExporterFrames : public PromVisitor {
 public:
  // `source` names the payload in messages (URL or file).
  explicit DcgmExporterFrames(std::string source);

  // Starts a new scrape taken at `scrape_time_s` (seconds since the epoch).
  void begin(double scrape_time_s);
  // With false, frames are stamped with the scrape time even when samples carry timestamps
  // (a live source keeps all frames of a round at one instant).
  void use_sample_timestamps(bool use) { use_sample_timestamps_ = use; }
  void on_sample(const PromSample& sample) override;
  // Replaces `out` with the frames of the scrape, in order of first appearance of the cards.
  void finish(std::vector<Frame>& out);

  // The cards of the last finish(), index for index with its frames.
  [[nodiscard]] const std::vector<DcgmExporterCard>& cards() const { return finished_cards_; }
  // Values dropped as impossible (a negative power, a fraction beyond 0..1, NaN), counted over
  // the parser's life, with the first few messages (each with source and line).
  [[nodiscard]] std::size_t dropped_values() const { return dropped_values_; }
  [[nodiscard]] const std::vector<std::string>& drop_examples() const { return drop_examples_; }
  // Samples of metrics this mapping does not use (other DCGM fields, go_*, process_*).
  [[nodiscard]] std::size_t ignored_samples() const { return ignored_samples_; }

  // The DCGM fields the mapping reads, as dcgm-exporter names them.
  [[nodiscard]] static std::vector<std::string_view> field_names();

 private:
  enum CardField : unsigned char {
    kPower,
    kEnergy,
    kSmClock,
    kMemClock,
    kTemperature,
    kPowerLimit,
    kPowerInstant,  // used only when DCGM_FI_DEV_POWER_USAGE is absent
    kCardFieldCount,
  };
  struct InstanceState {
    int id = 0;
    InstanceSample sample;
  };
  struct CardState {
    DcgmExporterCard identity;
    const GpuModel* model = nullptr;
    std::array<std::vector<double>, kCardFieldCount> copies;  // from instance series
    std::array<std::optional<double>, kCardFieldCount> own;   // from the card's own series
    std::vector<InstanceState> instances;
    std::size_t used_instances = 0;
    InstanceSample whole;  // without MIG: the card as one instance
    std::optional<std::int64_t> latest_timestamp_ms;
  };

  CardState* card_for(const PromSample& sample);
  InstanceSample& instance_for(CardState& card, int id, std::string_view profile);
  void add_workload(InstanceSample& instance, const PromSample& sample);
  void drop(const PromSample& sample, const std::string& why);
  void build_frame(CardState& card, Frame& frame) const;

  std::string source_;
  double scrape_time_s_ = 0.0;
  bool use_sample_timestamps_ = true;
  std::vector<CardState> cards_;  // storage reused across scrapes
  std::size_t used_cards_ = 0;
  std::vector<DcgmExporterCard> finished_cards_;
  std::string workload_;
  std::size_t dropped_values_ = 0;
  std::vector<std::string> drop_examples_;
  std::size_t ignored_samples_ = 0;
};

// Parses a whole /metrics payload and maps it: the frames of one scrape taken at
// `scrape_time_s`. Throws LocatedError on malformed text.
[[nodiscard]] std::vector<Frame> dcgm_exporter_frames(std::string_view payload,
                                                      const std::string& source,
                                                      double scrape_time_s);

}  // namespace migpower
