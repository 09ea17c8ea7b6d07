// The state the parts of the DCGM source share: the options, the opened library and its
// connection, the cards and instances found, the watches on them and the tick in progress. Each
// concern (dcgm_connection, dcgm_discovery, dcgm_watches, dcgm_read, dcgm_frames, dcgm_recovery,
// dcgm_layout_check, dcgm_report) is a set of free functions over it. Internal to sources/dcgm.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/frame.hpp"
#include "sources/dcgm/dcgm_api.hpp"
#include "sources/dcgm/dcgm_fields.hpp"
#include "sources/dcgm/dcgm_source.hpp"
#include "sources/interval_pacer.hpp"
#include "sources/live_clock.hpp"
#include "sources/source_events.hpp"

namespace migpower::dcgm_source {

// One GPU instance; without MIG, the whole card (its entity is then the GPU).
struct DcgmInstance {
  dcgm::EntityPair entity;
  int gi_id = 0;
  std::vector<int> ci_ids;
  unsigned profile_id = 0;
  unsigned nvml_slices = 0;
  std::string profile;
  int compute_slices = 0;
  int memory_slices = 0;
  std::array<std::optional<double>, kInstanceSlotCount> values{};
  std::array<std::string, kInstanceSlotCount> problems{};
};

struct DcgmCard {
  unsigned gpu_id = 0;
  std::string uuid;
  std::string name;
  const GpuModel* model = nullptr;
  bool mig = false;
  std::string mig_note;
  std::vector<DcgmInstance> instances;
  std::array<std::optional<double>, kCardSlotCount> values{};
  std::array<std::string, kCardSlotCount> problems{};
};

// A group of entities and a field group watched on it; each flag says the id is live in the host
// engine.
struct Watch {
  dcgm::GroupId group = 0;
  dcgm::FieldGroupId fields = 0;
  bool have_group = false;
  bool have_fields = false;
  bool watching = false;
};

struct State {
  DcgmSourceOptions options;
  LiveClock& clock;
  IntervalPacer pacer;
  dcgm::Library library;
  const dcgm::Functions& fn;

  // The connection (dcgm_connection).
  bool initialized = false;
  bool connected = false;
  dcgm::Handle handle = 0;

  // The cards and their instances (dcgm_discovery).
  std::vector<DcgmCard> cards;
  std::unique_ptr<dcgm::MigHierarchy> hierarchy = std::make_unique<dcgm::MigHierarchy>();

  // Groups and watches (dcgm_watches).
  Watch card_watch;
  Watch instance_watch;
  bool profiling = true;
  std::string profiling_problem;
  std::vector<dcgm::EntityPair> card_entities;
  std::vector<dcgm::EntityPair> instance_entities;
  std::vector<unsigned short> card_field_ids{kCardFieldIds.begin(), kCardFieldIds.end()};
  std::vector<unsigned short> instance_field_ids;
  std::vector<dcgm::FieldValue> values;  // what the last read returned (dcgm_read)
  unsigned name_counter = 0;

  // Ticks (dcgm_source.cpp, dcgm_frames).
  double now = 0.0;
  std::array<char, 48> stamp{};
  std::size_t stamp_length = 0;
  std::vector<Frame> frames;
  std::size_t ready = 0;
  std::size_t cursor = 0;

  // Layout checks (dcgm_layout_check) and reconnects (dcgm_recovery).
  double next_layout_check_s = 0.0;
  bool layout_check_due = false;
  double next_reconnect_s = 0.0;
  double reconnect_backoff_s = 0.0;
  std::optional<double> lost_since_s;
  std::string reconnect_problem;  // the last reason a reconnect failed, told once
  std::uint64_t reconnects = 0;
  std::uint64_t layout_changes = 0;

  // Checks the options and opens the library; the destructor tears down what is set up and shuts
  // DCGM down (both in dcgm_connection.cpp).
  explicit State(DcgmSourceOptions opts);
  ~State();
  State(const State&) = delete;
  State& operator=(const State&) = delete;

  void event(const std::string& message) const { tell_source_event(options.on_event, message); }

  [[nodiscard]] std::string where() const {
    return options.host_engine.empty() ? std::string("embedded host engine")
                                       : "host engine at " + options.host_engine;
  }

  [[noreturn]] void fail(std::string_view call, dcgm::Return code) const {
    throw dcgm::DcgmError(code, "dcgm: " + library.message(call, code));
  }
};

}  // namespace migpower::dcgm_source
