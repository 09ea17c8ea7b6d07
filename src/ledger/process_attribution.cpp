#include "ledger/process_attribution.hpp"

#include <algorithm>

namespace migpower {
namespace {

std::string rows(std::size_t count) {
  return std::to_string(count) + (count == 1 ? " row" : " rows");
}

}  // namespace

void ProcessAttribution::add(const Frame& frame, const FrameAttribution& attribution,
                             const EnergyLedger& energy) {
  splitter_.split(frame, attribution, reader_.at(frame.timestamp_s, frame.gpu_uuid), split_);
  ledger_.add(frame, split_, energy);
}

ProcessFileSummary ProcessAttribution::finish(const EnergyLedger& energy) {
  reader_.finish();
  warnings_.clear();
  std::size_t unmatched_known = 0;
  for (const ProcessReader::GpuRows& gpu : reader_.gpus()) {
    const auto& cards = energy.cards();
    const bool known = std::any_of(cards.begin(), cards.end(), [&](const CardEnergy& card) {
      return card.gpu_uuid == gpu.gpu_uuid;
    });
    if (known) {
      unmatched_known += gpu.rows - gpu.matched;
    } else {
      warnings_.push_back(reader_.path() + " names GPU " + gpu.gpu_uuid +
                          ", which the trace never has; ignoring its " + rows(gpu.rows));
    }
  }
  if (unmatched_known > 0) {
    warnings_.push_back(rows(unmatched_known) + " of " + reader_.path() +
                        " matched no frame of the trace (no frame of their GPU at their "
                        "timestamp)");
  }
  if (ledger_.ignored() > 0) {
    warnings_.push_back(rows(ledger_.ignored()) + " of " + reader_.path() +
                        " fit no instance of their frame (no gpu_i_id on a card with several "
                        "instances, or an instance the frame does not have)");
  }
  return {reader_.path(), reader_.rows_read(), reader_.rows_matched(), reader_.rows_unmatched(),
          ledger_.ignored()};
}

}  // namespace migpower
