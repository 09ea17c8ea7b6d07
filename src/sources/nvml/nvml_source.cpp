// NvmlSource: paces the ticks and assembles each card's frame from the readers (fields, GPM,
// processes), re-reading a card whose MIG layout changed under it. The readers hold the NVML calls.
#include "sources/nvml/nvml_source.hpp"

#include <optional>
#include <string>
#include <utility>

#include "sources/nvml/nvml_fields.hpp"
#include "sources/nvml/nvml_source_state.hpp"

namespace migpower {

NvmlSource::State::State(NvmlSourceOptions opts)
    : options(std::move(opts)),
      clock(options.clock != nullptr ? *options.clock : system_live_clock()),
      pacer(clock, options.interval_s, options.duration_s, options.stop),
      session(options),
      discovery(session),
      gpm(session),
      processes(session, options.processes) {
  session.now = clock.now_s();
  std::string error;
  nvml::Return code = nvml::kSuccess;
  if (!discovery.discover(error, code)) {
    discovery.shutdown();
    throw nvml::NvmlError(code, "nvml: " + error);
  }
}

void NvmlSource::State::start_tick(double time) {
  session.start_tick(time);
  cursor = 0;
  discovery.maintain();
}

void NvmlSource::State::fill(nvml::Card& card, Frame& frame) {
  nvml::read_card_fields(session, card, frame);
  frame.instances.resize(card.instances.size());
  for (std::size_t i = 0; i < card.instances.size() && !card.lost; ++i) {
    nvml::Instance& instance = card.instances[i];
    InstanceSample& sample = frame.instances[i];
    nvml::read_instance_fields(session, card, instance, sample);
    gpm.read(card, instance, sample);
    nvml::read_duty_cycle(session, card, sample);
  }
  processes.read(card);
}

bool NvmlSource::State::read_card(nvml::Card& card, Frame& frame) {
  card.layout_stale = false;
  fill(card, frame);
  if (!card.lost && card.layout_stale) {  // an instance vanished under us: read the new layout
    discovery.refresh_layout(card);
    if (!card.lost) fill(card, frame);
  }
  return !card.lost;
}

NvmlSource::NvmlSource(NvmlSourceOptions options)
    : state_(std::make_unique<State>(std::move(options))) {
  state_->cursor = state_->discovery.cards().size();  // the first call to next() starts a tick
}

NvmlSource::~NvmlSource() = default;

bool NvmlSource::next(Frame& out) {
  State& s = *state_;
  std::vector<nvml::Card>& cards = s.discovery.cards();
  while (true) {
    while (s.cursor < cards.size()) {
      nvml::Card& card = cards[s.cursor++];
      if (!card.lost && s.read_card(card, out)) return true;
    }
    const std::optional<double> tick = s.pacer.wait();
    if (!tick) return false;
    s.start_tick(*tick);
  }
}

std::size_t NvmlSource::card_count() const { return state_->discovery.cards().size(); }

std::uint64_t NvmlSource::rediscoveries() const { return state_->discovery.rediscoveries(); }

std::uint64_t NvmlSource::layout_changes() const { return state_->discovery.layout_changes(); }

const std::vector<ProcessSample>& NvmlSource::processes() const {
  return state_->processes.processes();
}

}  // namespace migpower
