// What `migpower sources` prints for NVML: the driver and library, then per card its MIG layout
// and, field by field, the call that provides it or why none does. Probing reads every GPU twice.
#include <array>
#include <string>
#include <string_view>
#include <utility>

#include "core/fields.hpp"
#include "sources/nvml/nvml_api.hpp"
#include "sources/nvml/nvml_card.hpp"
#include "sources/nvml/nvml_gpm.hpp"
#include "sources/nvml/nvml_session.hpp"
#include "sources/nvml/nvml_source.hpp"
#include "sources/nvml/nvml_source_state.hpp"

namespace migpower::nvml {
namespace {

CardReport card_report(const Session& session, const Card& card) {
  CardReport out;
  out.uuid = card.uuid;
  out.model = card.name;
  out.mig = card.mig_note;
  for (const Instance& instance : card.instances) {
    if (!card.mig_on) break;
    InstanceReport item;
    item.gpu_i_id = static_cast<int>(instance.gi_id);
    item.compute_instance_ids.assign(instance.ci_ids.begin(), instance.ci_ids.end());
    item.profile = instance.profile;
    item.compute_slices = instance.compute_slices;
    item.memory_slices = instance.memory_slices;
    item.memory_mib = instance.memory_mib;
    out.instances.push_back(std::move(item));
  }
  const auto provision = [&](std::string_view field, Cap cap, std::string how = {}) {
    const CapState& state = card.caps[cap];
    FieldProvision item{std::string(field), state.status == CapState::Status::on, {}};
    if (item.provided) {
      item.detail = how.empty() ? std::string(kCapCalls[cap]) : std::move(how);
    } else {
      item.detail = state.status == CapState::Status::off ? state.reason : "no answer yet";
    }
    out.fields.push_back(std::move(item));
  };
  out.fields.push_back({std::string(field::kGpuModel), !card.name.empty(),
                        card.name.empty() ? card.name_problem : "nvmlDeviceGetName"});
  const bool instant = card.caps[kPowerInstant].status == CapState::Status::on;
  const std::string reading = instant
                                  ? std::string(kCapCalls[kPowerInstant]) + ", instantaneous"
                                  : std::string(kCapCalls[kPowerAverage]) +
                                        " (instantaneous: " + card.caps[kPowerInstant].reason + ")";
  if (session.options.power == PowerReading::interval &&
      card.caps[kEnergy].status == CapState::Status::on) {
    provision(field::kPower, kEnergy,
              "mean over each frame from " + std::string(kCapCalls[kEnergy]) +
                  "; first frame: " + reading);
  } else {
    provision(field::kPower, instant ? kPowerInstant : kPowerAverage, reading);
  }
  provision(field::kEnergy, kEnergy);
  provision(field::kSmClock, kSmClock);
  provision(field::kMemClock, kMemClock);
  provision(field::kGpuTemp, kTemperature);
  provision(field::kPowerLimit, kPowerLimit);
  const CapState& gpm = card.caps[kGpm];
  for (std::size_t i = 0; i < kActivityCount; ++i) {
    FieldProvision item{std::string(kActivityFieldNames[i]), false, {}};
    const std::string metric(kGpmMetrics[i].name);
    if (gpm.status == CapState::Status::on && card.gpm_returns[i] == kSuccess) {
      item.provided = true;
      item.detail = "GPM " + metric + (card.mig_on ? " per GPU instance" : "");
    } else if (gpm.status == CapState::Status::on) {
      item.detail = card.gpm_returns[i] == kNoAnswerYet
                        ? "GPM " + metric + ": no answer yet"
                        : session.library.message("GPM " + metric, card.gpm_returns[i]);
    } else if (i == static_cast<std::size_t>(Activity::gr_engine) && !card.mig_on &&
               card.caps[kUtilization].status == CapState::Status::on) {
      item.provided = true;
      item.detail = "nvmlDeviceGetUtilizationRates (gpu %, no GPM: " + gpm.reason + ")";
    } else {
      item.detail = gpm.status == CapState::Status::off ? gpm.reason : "GPM: no answer yet";
    }
    out.fields.push_back(std::move(item));
  }
  provision(field::kFbUsed, kMemory,
            card.memory_v1 ? "nvmlDeviceGetMemoryInfo" : "nvmlDeviceGetMemoryInfo_v2");
  const auto process_item = [&](std::string name, Cap cap, std::string how, std::string_view why) {
    const CapState& state = card.caps[cap];
    FieldProvision item{std::move(name), state.status == CapState::Status::on, {}};
    if (item.provided) {
      item.detail = std::move(how);
    } else {
      item.detail =
          state.status == CapState::Status::off ? state.reason + std::string(why) : "no answer yet";
    }
    out.process_data.push_back(std::move(item));
  };
  process_item(card.mig_on ? "processes by GPU instance" : "processes (whole GPU)", kProcesses,
               std::string(kCapCalls[kProcesses]) + (card.mig_on ? " on each MIG device" : ""), {});
  process_item("per-process utilization", kProcessUtilization,
               std::string(kCapCalls[kProcessUtilization]) + " (SM and memory %)",
               card.mig_on ? " (usual with MIG on)" : "");
  return out;
}

}  // namespace
}  // namespace migpower::nvml

namespace migpower {

SourceReport NvmlSource::State::report() {
  const nvml::Functions& fn = session.fn;
  SourceReport report;
  report.source = "nvml";
  report.available = true;
  std::array<char, nvml::kDriverVersionBufferSize> driver{};
  if (fn.system_get_driver_version != nullptr &&
      fn.system_get_driver_version(driver.data(), driver.size()) == nvml::kSuccess) {
    report.detail = "driver " + std::string(driver.data()) + ", ";
  }
  report.detail += session.library.path();
  if (!session.library.missing_symbols().empty()) {
    std::string names;
    for (const std::string& name : session.library.missing_symbols()) {
      names += (names.empty() ? "" : ", ") + name;
    }
    report.notes.emplace_back("optional NVML functions missing: " + names);
  }
  // Two readings: GPM metrics need a pair of samples. Processes too, to say what they offer.
  std::vector<nvml::Card>& cards = discovery.cards();
  Frame scratch;
  processes.collect(true);
  start_tick(clock.now_s());
  for (nvml::Card& card : cards) read_card(card, scratch);
  clock.sleep_until(clock.now_s() + 0.1, nullptr);
  start_tick(clock.now_s());
  for (nvml::Card& card : cards) read_card(card, scratch);
  processes.collect(options.processes);
  processes.clear();
  cursor = cards.size();  // the next call to next() starts a fresh tick
  if (session.rediscovery.due) report.notes.emplace_back("a GPU was lost while probing");
  for (const nvml::Card& card : cards) report.cards.push_back(nvml::card_report(session, card));
  return report;
}

SourceReport NvmlSource::report() { return state_->report(); }

SourceReport probe_nvml(const NvmlSourceOptions& options) {
  try {
    NvmlSource source(options);
    return source.report();
  } catch (const nvml::NvmlError& error) {
    SourceReport report;
    report.source = "nvml";
    report.available = false;
    std::string_view reason = error.what();
    if (reason.starts_with("nvml: ")) reason.remove_prefix(6);
    report.detail = std::string(reason);
    return report;
  }
}

}  // namespace migpower
