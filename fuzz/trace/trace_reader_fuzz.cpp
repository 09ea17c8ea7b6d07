// Feeds arbitrary bytes to TraceReader as a trace, then the frames through Attributor and
// EnergyLedger. InputError (with LocatedError) is the expected outcome for bad input; any other
// exception, a crash, a sanitizer report, a hang or a broken invariant is a bug.
//
// Input layout: byte 0 picks the options, the rest is the trace file.
//   bit 0: lenient; bits 1-2: split method (mod 3); bits 3-4: idle policy (mod 3);
//   bits 5-7: the utilization field.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "attribution/attribution.hpp"
#include "attribution/attributor.hpp"
#include "core/error.hpp"
#include "core/frame.hpp"
#include "core/shares.hpp"
#include "ledger/energy_ledger.hpp"
#include "scratch_file.hpp"
#include "trace/trace_reader.hpp"

namespace {

using migpower::Frame;

[[noreturn]] void broken(const char* what, const std::string& detail) {
  std::fprintf(stderr, "trace_reader_fuzz: invariant broken: %s (%s)\n", what, detail.c_str());
  std::abort();
}

// |a - b| within 1e-6 of the larger magnitude (and of 1 W or 1 J, so zero compares sanely).
bool close(double a, double b) {
  return std::fabs(a - b) <= 1e-6 * std::max({1.0, std::fabs(a), std::fabs(b)});
}

void check_frame(const Frame& frame) {
  std::unordered_set<int> ids;
  for (const auto& instance : frame.instances) {
    if (!ids.insert(instance.gpu_i_id).second) {
      broken("duplicate instance id in a frame", std::to_string(instance.gpu_i_id));
    }
    if (instance.gpu_i_id < 0) broken("negative instance id", std::to_string(instance.gpu_i_id));
    for (const auto& fraction : instance.activity) {
      if (fraction && !(*fraction >= 0.0 && *fraction <= 1.0)) {
        broken("activity fraction outside 0..1", std::to_string(*fraction));
      }
    }
  }
  if (!std::isfinite(frame.timestamp_s)) broken("timestamp not finite", frame.timestamp_text);
  if (frame.power_w && !(*frame.power_w >= 0.0 && std::isfinite(*frame.power_w))) {
    broken("card power negative or not finite", std::to_string(*frame.power_w));
  }
}

void check_attribution(const Frame& frame, const migpower::FrameAttribution& a) {
  if (!a.has_power) return;
  if (a.shares.size() != frame.instances.size()) broken("shares do not match instances", "");
  double sum = a.unattributed_w;
  for (const auto& share : a.shares) {
    if (!(share.power_w >= 0.0) || !(share.static_w >= 0.0) || !(share.dynamic_w >= 0.0)) {
      broken("negative share", std::to_string(share.power_w));
    }
    if (!close(share.power_w, share.static_w + share.dynamic_w)) {
      broken("share power is not static + dynamic", std::to_string(share.power_w));
    }
    sum += share.power_w;
  }
  if (!(a.unattributed_w >= 0.0)) broken("negative unattributed", std::to_string(a.unattributed_w));
  if (!close(sum, a.measured_w)) {
    broken("shares + unattributed != measured",
           std::to_string(sum) + " vs " + std::to_string(a.measured_w));
  }
}

void check_ledger(const migpower::EnergyLedger& ledger) {
  std::unordered_map<std::string, double> attributed;
  for (const auto& instance : ledger.instances()) {
    if (!(instance.energy_j >= 0.0)) broken("negative instance energy", instance.gpu_uuid);
    attributed[instance.gpu_uuid] += instance.energy_j;
  }
  for (const auto& card : ledger.cards()) {
    if (!close(attributed[card.gpu_uuid] + card.unattributed_j, card.energy_j)) {
      broken("instance energy + unattributed != card energy",
             std::to_string(attributed[card.gpu_uuid] + card.unattributed_j) + " vs " +
                 std::to_string(card.energy_j));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t control = data[0];
  migpower::TraceReaderOptions reader_options;
  reader_options.lenient = (control & 1U) != 0;
  migpower::AttributionOptions options;
  options.method = static_cast<migpower::SplitMethod>(((control >> 1U) & 3U) % 3);
  options.idle_policy = static_cast<migpower::IdlePolicy>(((control >> 3U) & 3U) % 3);
  options.utilization_field = static_cast<migpower::Activity>((control >> 5U) & 7U);

  const std::string& path =
      migpower::fuzz::write_scratch_file("trace_reader_fuzz", data + 1, size - 1);
  migpower::Attributor attributor(options);
  migpower::EnergyLedger ledger;
  migpower::FrameAttribution attribution;
  std::unordered_map<std::string, double> last_time;  // per GPU
  Frame frame;
  try {
    migpower::TraceReader reader(path, reader_options);
    while (reader.next(frame)) {
      check_frame(frame);
      auto [it, first] = last_time.try_emplace(frame.gpu_uuid, frame.timestamp_s);
      if (!first) {
        if (frame.timestamp_s <= it->second) {
          broken("time of one GPU does not increase", frame.gpu_uuid + " " + frame.timestamp_text);
        }
        it->second = frame.timestamp_s;
      }
      // Past the reader, the frames are valid: attribution and ledger must not throw.
      try {
        attributor.attribute(frame, attribution);
        check_attribution(frame, attribution);
        ledger.add(frame, attribution);
      } catch (const std::exception& e) {
        broken("attribution or ledger threw on a valid frame", e.what());
      }
    }
    if (!reader_options.lenient && reader.rows_skipped() != 0) broken("strict reader skipped", "");
  } catch (const migpower::InputError&) {
    // Bad input, reported: the expected outcome. Frames read before it were checked above.
  }
  check_ledger(ledger);
  return 0;
}
