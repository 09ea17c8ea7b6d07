// Building the SourceReport (see dcgm_report.hpp) from one fresh read: a card's fields, then each
// activity field and FB_USED, found on some instance or missing with DCGM's reason.
#include "sources/dcgm/dcgm_report.hpp"

#include <cstddef>
#include <string>
#include <utility>

#include "core/fields.hpp"
#include "sources/dcgm/dcgm_fields.hpp"
#include "sources/dcgm/dcgm_frames.hpp"
#include "sources/dcgm/dcgm_recovery.hpp"

namespace migpower::dcgm_source {

SourceReport make_report(State& s) {
  SourceReport report;
  report.source = "dcgm";
  report.available = true;
  report.detail = s.library.path() + ", " + s.where();
  s.now = s.clock.now_s();
  if (!s.connected && !try_reconnect(s)) {
    report.available = false;
    report.detail += ": connection lost";
    return report;
  }
  if (!read_values(s)) report.notes.emplace_back("the values could not be read this time");
  s.cursor = s.ready;  // the next call to next() starts a fresh tick
  if (!s.profiling) report.notes.push_back("profiling fields unavailable: " + s.profiling_problem);
  for (const DcgmCard& card : s.cards) {
    CardReport out;
    out.uuid = card.uuid;
    out.model = card.name;
    out.mig = card.mig_note;
    for (const DcgmInstance& instance : card.instances) {
      if (!card.mig) break;
      InstanceReport item;
      item.gpu_i_id = instance.gi_id;
      item.compute_instance_ids = instance.ci_ids;
      item.profile = instance.profile;
      item.compute_slices = instance.compute_slices;
      item.memory_slices = instance.memory_slices;
      out.instances.push_back(std::move(item));
    }
    out.fields.push_back({std::string(field::kGpuModel), !card.name.empty(),
                          card.name.empty() ? "DCGM_FI_DEV_NAME: no value" : "DCGM_FI_DEV_NAME"});
    for (std::size_t i = 0; i < kCardSlotCount; ++i) {
      const std::string how =
          "DCGM field " + std::to_string(kCardFieldIds[i]) + " on the GPU, watched";
      out.fields.push_back({std::string(kCardFieldNames[i]), card.values[i].has_value(),
                            card.values[i] ? how : card.problems[i]});
    }
    const std::string level = card.mig ? "per GPU instance" : "on the whole GPU";
    for (std::size_t slot = 0; slot < kInstanceSlotCount; ++slot) {
      const unsigned short id =
          slot < kActivityCount
              ? static_cast<unsigned short>(dcgm::field_id::kProfGrEngineActive + slot)
              : dcgm::field_id::kFbUsed;
      const std::string name(slot < kActivityCount ? kActivityFieldNames[slot] : field::kFbUsed);
      FieldProvision item{name, false, {}};
      for (const DcgmInstance& instance : card.instances) {
        if (instance.values[slot]) item.provided = true;
      }
      if (item.provided) {
        item.detail = "DCGM field " + std::to_string(id) + " " + level + ", watched";
      } else if (card.instances.empty()) {
        item.detail = "no GPU instances";
      } else {
        item.detail = card.instances.front().problems[slot];
      }
      out.fields.push_back(std::move(item));
    }
    report.cards.push_back(std::move(out));
  }
  return report;
}

}  // namespace migpower::dcgm_source
