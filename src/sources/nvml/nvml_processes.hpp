// The processes on a card (NvmlSource::processes()): where each runs, its memory, its utilization
// where the driver samples it, and its name. Read after the card's fields, once per frame.
#pragma once

#include <vector>

#include "core/process_sample.hpp"
#include "sources/nvml/nvml_card.hpp"
#include "sources/nvml/nvml_session.hpp"

namespace migpower::nvml {

// Turns the process readings off from the start when the library lacks their functions.
void init_process_caps(const Session& session, Card& card);

// Reads the processes of one card's frame into a list reused from frame to frame.
class ProcessReader {
 public:
  ProcessReader(Session& session, bool collect);

  // Replaces the list by the processes on `card` now; empty unless collecting.
  void read(Card& card);
  // Empties the list.
  void clear() { processes_.clear(); }
  // Whether read() reads anything (NvmlSourceOptions::processes, or while the report probes).
  void collect(bool on) { collect_ = on; }

  // Sorted by GPU instance and pid.
  [[nodiscard]] const std::vector<ProcessSample>& processes() const { return processes_; }

 private:
  // The process `pid` of this frame, added (with no values yet) when new.
  ProcessSample& process_entry(const Card& card, unsigned pid);
  bool read_running_processes(Card& card);
  void read_process_utilization(Card& card);
  void name_processes(Card& card);

  Session& session_;
  bool collect_;
  std::vector<ProcessSample> processes_;  // of the frame last read
  // Utilization samples summed into each process of `processes_`, to average them.
  std::vector<unsigned> sample_counts_;
};

}  // namespace migpower::nvml
