// Process lists: the running processes of each MIG device (or of the card), the driver's
// utilization samples averaged per process, and names from nvmlSystemGetProcessName.
#include "sources/nvml/nvml_processes.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <utility>

namespace migpower::nvml {
namespace {

// Calls an NVML "count, then fill" function (`call(buffer, &count)`) until the buffer is large
// enough. The first call of a card has an empty buffer and so asks for the count; later calls
// reuse the buffer, so a steady frame makes one call. On success `count` entries were written.
template <typename Entry, typename Call>
Return fill_buffer(std::vector<Entry>& buffer, unsigned& count, Call&& call) {
  Return code = kSuccess;
  for (int attempt = 0; attempt < 3; ++attempt) {
    count = static_cast<unsigned>(buffer.size());
    code = call(buffer.empty() ? nullptr : buffer.data(), &count);
    const bool too_small =
        code == kErrorInsufficientSize || (code == kSuccess && count > buffer.size());
    if (!too_small) break;
    // Room for a few processes that start before the next call.
    buffer.resize(std::max<std::size_t>(count, buffer.size()) + 4);
  }
  if (code != kSuccess) count = 0;
  count = std::min(count, static_cast<unsigned>(buffer.size()));
  return code;
}

}  // namespace

void init_process_caps(const Session& session, Card& card) {
  session.require_symbol(card, kProcesses,
                         session.fn.device_get_compute_running_processes_v3 != nullptr,
                         "nvmlDeviceGetComputeRunningProcesses_v3");
  session.require_symbol(card, kProcessUtilization,
                         session.fn.device_get_process_utilization != nullptr,
                         "nvmlDeviceGetProcessUtilization");
}

ProcessReader::ProcessReader(Session& session, bool collect)
    : session_(session), collect_(collect) {}

ProcessSample& ProcessReader::process_entry(const Card& card, unsigned pid) {
  const auto found = std::find_if(processes_.begin(), processes_.end(),
                                  [pid](const ProcessSample& p) { return p.pid == pid; });
  if (found != processes_.end()) return *found;
  ProcessSample& entry = processes_.emplace_back();
  sample_counts_.push_back(0);
  entry.timestamp_s = session_.now;
  entry.timestamp_text.assign(session_.stamp_text());
  entry.gpu_uuid = card.uuid;
  entry.pid = pid;
  return entry;
}

// Which processes run on the card and where: on MIG one call per MIG device (the card's own
// handle answers only with privileges), else one on the card. False when the card is lost or
// its layout changed under us.
bool ProcessReader::read_running_processes(Card& card) {
  for (const Instance& instance : card.instances) {
    for (const Device handle : instance.handles) {
      if (card.caps[kProcesses].status == CapState::Status::off) return true;
      unsigned count = 0;
      const Return code =
          fill_buffer(card.process_buffer, count, [&](ProcessInfo* infos, unsigned* n) {
            return session_.fn.device_get_compute_running_processes_v3(handle, n, infos);
          });
      if (code == kErrorNotFound) continue;  // no process here
      if (!session_.settle(card, kProcesses, card.mig_on, code)) {
        if (card.lost || card.layout_stale) return false;
        continue;
      }
      for (unsigned i = 0; i < count; ++i) {
        const ProcessInfo& info = card.process_buffer[i];
        ProcessSample& entry = process_entry(card, info.pid);
        if (card.mig_on) {
          entry.gpu_i_id = static_cast<int>(
              info.gpu_instance_id != kNoInstanceId ? info.gpu_instance_id : instance.gi_id);
        }
        if (info.used_gpu_memory != kValueNotAvailable) {
          entry.used_memory_bytes = info.used_gpu_memory;
        }
      }
    }
  }
  return true;
}

// The driver's utilization samples newer than the last one read, averaged per process. "Not
// found" means no new sample: an answer, not a failure.
void ProcessReader::read_process_utilization(Card& card) {
  if (card.lost || card.caps[kProcessUtilization].status == CapState::Status::off) return;
  const unsigned long long since = card.last_utilization_us;
  unsigned count = 0;
  const Return code = fill_buffer(
      card.utilization_buffer, count, [&](ProcessUtilizationSample* samples, unsigned* n) {
        return session_.fn.device_get_process_utilization(card.handle, samples, n, since);
      });
  if (code == kErrorNotFound) {
    card.caps[kProcessUtilization].status = CapState::Status::on;
    return;
  }
  if (!session_.settle(card, kProcessUtilization, false, code)) return;
  for (unsigned i = 0; i < count; ++i) {
    const ProcessUtilizationSample& sample = card.utilization_buffer[i];
    if (sample.time_stamp <= since) continue;  // already read
    card.last_utilization_us = std::max(card.last_utilization_us, sample.time_stamp);
    ProcessSample& entry = process_entry(card, sample.pid);
    const auto index = static_cast<std::size_t>(&entry - processes_.data());
    entry.sm_util_pct = entry.sm_util_pct.value_or(0.0) + sample.sm_util;
    entry.mem_util_pct = entry.mem_util_pct.value_or(0.0) + sample.mem_util;
    ++sample_counts_[index];
  }
  for (std::size_t i = 0; i < processes_.size(); ++i) {
    if (sample_counts_[i] > 1) {
      const auto samples = static_cast<double>(sample_counts_[i]);
      *processes_[i].sm_util_pct /= samples;
      *processes_[i].mem_util_pct /= samples;
    }
  }
}

// Names from nvmlSystemGetProcessName; a pid also seen in the card's previous frame keeps the
// name found then (one call per process, not per process per frame).
void ProcessReader::name_processes(Card& card) {
  std::array<char, kProcessNameBufferSize> text{};
  for (ProcessSample& process : processes_) {
    const auto known = std::find_if(card.process_names.begin(), card.process_names.end(),
                                    [&](const auto& entry) { return entry.first == process.pid; });
    if (known != card.process_names.end()) {
      process.name = known->second;
    } else if (session_.fn.system_get_process_name != nullptr) {
      text.fill('\0');
      if (session_.fn.system_get_process_name(process.pid, text.data(), text.size()) == kSuccess) {
        process.name = text.data();
      }
    }
  }
  card.process_names.clear();
  for (const ProcessSample& process : processes_) {
    card.process_names.emplace_back(process.pid, process.name);
  }
}

void ProcessReader::read(Card& card) {
  processes_.clear();
  sample_counts_.clear();
  if (!collect_ || card.lost || !read_running_processes(card)) return;
  read_process_utilization(card);
  if (card.lost) return;
  name_processes(card);
  std::sort(processes_.begin(), processes_.end(),
            [](const ProcessSample& a, const ProcessSample& b) {
              return std::pair(a.gpu_i_id.value_or(-1), a.pid) <
                     std::pair(b.gpu_i_id.value_or(-1), b.pid);
            });
}

}  // namespace migpower::nvml
