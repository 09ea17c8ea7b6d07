// The open NVML library and the tick being read, shared by every reader of NvmlSource, with the
// one place that files each answer: on, unsupported (off for good), a lost GPU or a stale layout.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "sources/nvml/nvml_api.hpp"
#include "sources/nvml/nvml_card.hpp"
#include "sources/nvml/nvml_source.hpp"

namespace migpower::nvml {

// What a return code means for the caller.
enum class Outcome {
  ok,
  unsupported,  // will not work on this GPU: stop asking
  lost,         // the GPU (or NVML) is gone: re-discover
  stale,        // the handle no longer names anything: on a MIG handle, the layout changed
  transient,    // no value this time; ask again next time
};

[[nodiscard]] Outcome classify(Return code);

// When to look for lost GPUs again (nvml_discovery.cpp looks; mark_lost asks for it).
struct Rediscovery {
  bool due = false;
  double next_s = 0.0;
  double backoff_s = 0.0;
};

struct Session {
  // Opens the library named by the options; throws NvmlError when it cannot.
  explicit Session(const NvmlSourceOptions& opts);

  void event(const std::string& message) const;

  // Starts reading the tick at `time`: frames and processes are stamped with it.
  void start_tick(double time);
  [[nodiscard]] std::string_view stamp_text() const { return {stamp.data(), stamp_length}; }

  // Turns `cap` off from the start when the library lacks its function `symbol`.
  void require_symbol(Card& card, Cap cap, bool present, std::string_view symbol) const;

  // Reports the card lost and asks for a re-discovery at the next tick.
  void mark_lost(Card& card, const std::string& reason);

  // Files the answer `code` to capability `cap`; true on success. `mig_handle`: the call was made
  // on a MIG device, whose staleness means the layout changed rather than the GPU being lost.
  bool settle(Card& card, Cap cap, bool mig_handle, Return code);

  // Calls `call` for `cap` unless the capability is off or the card lost.
  template <typename Call>
  bool attempt(Card& card, Cap cap, bool mig_handle, Call&& call) {
    if (card.lost || card.caps[cap].status == CapState::Status::off) return false;
    return settle(card, cap, mig_handle, call());
  }

  const NvmlSourceOptions& options;
  Library library;
  const Functions& fn;
  double now = 0.0;
  std::array<char, 48> stamp{};
  std::size_t stamp_length = 0;
  Rediscovery rediscovery;
};

}  // namespace migpower::nvml
