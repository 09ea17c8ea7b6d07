// Group, field group and watch setup (see dcgm_watches.hpp), with the fallback that keeps FB_USED
// watched when the profiling fields cannot be.
#include "sources/dcgm/dcgm_watches.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "sources/dcgm/dcgm_recovery.hpp"

namespace migpower::dcgm_source {
namespace {

using dcgm::EntityPair;
using dcgm::Return;

// Failures to watch the profiling fields that leave the card's fields usable.
bool profiling_unavailable(Return code) {
  switch (code) {
    case dcgm::kProfilingNotSupported:
    case dcgm::kProfilingLibraryError:
    case dcgm::kProfilingMultiPass:
    case dcgm::kModuleNotLoaded:
    case dcgm::kInUse:
    case dcgm::kRequiresRoot:
    case dcgm::kNoPermission:
    case dcgm::kNotSupported:
    case dcgm::kGpuNotSupported:
      return true;
    default:
      return false;
  }
}

[[nodiscard]] std::string unique_name(State& s, std::string_view what) {
  return "migpower-" + std::string(what) + "-" + std::to_string(::getpid()) + "-" +
         std::to_string(++s.name_counter);
}

// Creates a group of `entities` and a field group of `fields` and watches them. Returns the
// watch call's code; throws for any other failure.
Return watch_group(State& s, Watch& w, std::string_view what,
                   const std::vector<EntityPair>& entities,
                   const std::vector<unsigned short>& fields) {
  Return code =
      s.fn.group_create(s.handle, dcgm::kGroupEmpty, unique_name(s, what).c_str(), &w.group);
  if (code != dcgm::kOk) s.fail("dcgmGroupCreate", code);
  w.have_group = true;
  for (const EntityPair& entity : entities) {
    code = s.fn.group_add_entity(s.handle, w.group, entity.entity_group, entity.entity_id);
    if (code != dcgm::kOk) s.fail("dcgmGroupAddEntity", code);
  }
  code = s.fn.field_group_create(s.handle, static_cast<int>(fields.size()), fields.data(),
                                 unique_name(s, std::string(what) + "-fields").c_str(), &w.fields);
  if (code != dcgm::kOk) s.fail("dcgmFieldGroupCreate", code);
  w.have_fields = true;
  const auto update_us = static_cast<long long>(std::llround(s.options.interval_s * 1e6));
  // DCGM keeps a few intervals of samples: only the latest is read.
  const double keep_s = std::max(5.0 * s.options.interval_s, 5.0);
  code = s.fn.watch_fields(s.handle, w.group, w.fields, update_us, keep_s, 0);
  w.watching = code == dcgm::kOk;
  return code;
}

void drop_field_group(const State& s, Watch& w) {
  if (w.watching) s.fn.unwatch_fields(s.handle, w.group, w.fields);
  if (w.have_fields) s.fn.field_group_destroy(s.handle, w.fields);
  w.watching = false;
  w.have_fields = false;
}

}  // namespace

void drop_watch(const State& s, Watch& w) {
  drop_field_group(s, w);
  if (w.have_group) s.fn.group_destroy(s.handle, w.group);
  w.have_group = false;
}

void watch(State& s) {
  s.card_entities.clear();
  s.instance_entities.clear();
  for (const DcgmCard& card : s.cards) {
    s.card_entities.push_back({dcgm::kEntityGpu, card.gpu_id});
    for (const DcgmInstance& instance : card.instances) {
      s.instance_entities.push_back(instance.entity);
    }
  }
  Return code = watch_group(s, s.card_watch, "cards", s.card_entities, s.card_field_ids);
  if (code != dcgm::kOk) s.fail("dcgmWatchFields(card fields)", code);
  s.profiling = true;
  s.profiling_problem.clear();
  s.instance_field_ids.clear();
  if (!s.instance_entities.empty()) {
    for (unsigned short id = dcgm::field_id::kProfGrEngineActive;
         id <= dcgm::field_id::kProfPipeFp16Active; ++id) {
      s.instance_field_ids.push_back(id);
    }
    s.instance_field_ids.push_back(dcgm::field_id::kFbUsed);
    code = watch_group(s, s.instance_watch, "instances", s.instance_entities, s.instance_field_ids);
    if (code != dcgm::kOk && profiling_unavailable(code)) {
      // The card's power is still worth recording: keep FB_USED, report why activity is missing.
      s.profiling = false;
      s.profiling_problem = s.library.message("dcgmWatchFields(DCGM_FI_PROF_*)", code);
      s.event("dcgm: profiling fields unavailable, instances will have no activity: " +
              s.profiling_problem);
      drop_field_group(s, s.instance_watch);
      s.instance_field_ids.assign({dcgm::field_id::kFbUsed});
      code =
          s.fn.field_group_create(s.handle, 1, s.instance_field_ids.data(),
                                  unique_name(s, "instances-fb").c_str(), &s.instance_watch.fields);
      if (code != dcgm::kOk) s.fail("dcgmFieldGroupCreate", code);
      s.instance_watch.have_fields = true;
      code = s.fn.watch_fields(s.handle, s.instance_watch.group, s.instance_watch.fields,
                               static_cast<long long>(std::llround(s.options.interval_s * 1e6)),
                               std::max(5.0 * s.options.interval_s, 5.0), 0);
      s.instance_watch.watching = code == dcgm::kOk;
    }
    if (code != dcgm::kOk) s.fail("dcgmWatchFields(instance fields)", code);
  }
  // The first samples come only at DCGM's next update cycle: force one so the first tick has
  // values.
  code = s.fn.update_all_fields(s.handle, 1);
  if (code != dcgm::kOk && classify(code) == Outcome::reconnect) {
    s.fail("dcgmUpdateAllFields", code);
  }
}

}  // namespace migpower::dcgm_source
