// Field readings of a frame: energy, power, power limit, clocks, temperature, memory used and the
// utilization duty cycle. Each is one NVML call per card (memory: per instance), filed by Session.
#include "sources/nvml/nvml_fields.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string_view>

namespace migpower::nvml {
namespace {

constexpr double kBytesPerMib = 1024.0 * 1024.0;

std::optional<double> field_number(const FieldValue& field) {
  switch (field.value_type) {
    case kValueTypeDouble:
      return field.value.d;
    case kValueTypeUnsignedInt:
      return static_cast<double>(field.value.ui);
    case kValueTypeUnsignedLong:
      return static_cast<double>(field.value.ul);
    case kValueTypeUnsignedLongLong:
      return static_cast<double>(field.value.ull);
    case kValueTypeSignedLongLong:
      return static_cast<double>(field.value.sll);
    case kValueTypeSignedInt:
      return static_cast<double>(field.value.si);
    case kValueTypeUnsignedShort:
      return static_cast<double>(field.value.us);
    default:
      return std::nullopt;
  }
}

std::optional<double> read_power(Session& session, Card& card) {
  const Functions& fn = session.fn;
  if (session.options.power != PowerReading::average) {
    FieldValue field{};
    field.field_id = kFieldPowerInstant;
    if (session.attempt(card, kPowerInstant, false, [&] {
          const Return code = fn.device_get_field_values(card.handle, 1, &field);
          return code == kSuccess ? field.nvml_return : code;
        })) {
      if (const auto mw = field_number(field)) return *mw / 1000.0;
    }
  }
  unsigned mw = 0;
  if (session.attempt(card, kPowerAverage, false,
                      [&] { return fn.device_get_power_usage(card.handle, &mw); })) {
    return mw / 1000.0;
  }
  return std::nullopt;
}

std::optional<double> read_memory_mib(Session& session, Card& card, Device handle, bool mig) {
  const Functions& fn = session.fn;
  if (card.lost || card.caps[kMemory].status == CapState::Status::off) return std::nullopt;
  if (!card.memory_v1) {
    MemoryV2 memory{};
    memory.version = kMemoryV2Version;
    const Return code = fn.device_get_memory_info_v2(handle, &memory);
    if (code == kSuccess) {
      card.caps[kMemory].status = CapState::Status::on;
      return static_cast<double>(memory.used) / kBytesPerMib;
    }
    if (classify(code) != Outcome::unsupported || fn.device_get_memory_info == nullptr) {
      session.settle(card, kMemory, mig, code);
      return std::nullopt;
    }
    card.memory_v1 = true;  // an older driver: the v1 call, whose `used` includes reserved
  }
  Memory memory{};
  if (session.attempt(card, kMemory, mig,
                      [&] { return fn.device_get_memory_info(handle, &memory); })) {
    return static_cast<double>(memory.used) / kBytesPerMib;
  }
  return std::nullopt;
}

}  // namespace

void init_field_caps(const Session& session, Card& card) {
  const Functions& fn = session.fn;
  const auto lacks = [&](Cap cap, bool present, std::string_view symbol) {
    session.require_symbol(card, cap, present, symbol);
  };
  lacks(kPowerInstant, fn.device_get_field_values != nullptr, "nvmlDeviceGetFieldValues");
  lacks(kEnergy, fn.device_get_total_energy_consumption != nullptr,
        "nvmlDeviceGetTotalEnergyConsumption");
  lacks(kPowerLimit, fn.device_get_power_management_limit != nullptr,
        "nvmlDeviceGetPowerManagementLimit");
  lacks(kSmClock, fn.device_get_clock_info != nullptr, "nvmlDeviceGetClockInfo");
  lacks(kMemClock, fn.device_get_clock_info != nullptr, "nvmlDeviceGetClockInfo");
  lacks(kTemperature, fn.device_get_temperature != nullptr, "nvmlDeviceGetTemperature");
  lacks(kUtilization, fn.device_get_utilization_rates != nullptr, "nvmlDeviceGetUtilizationRates");
  lacks(kMemory, fn.device_get_memory_info_v2 != nullptr || fn.device_get_memory_info != nullptr,
        "nvmlDeviceGetMemoryInfo");
  if (session.options.power == PowerReading::average) {
    card.caps[kPowerInstant] = {CapState::Status::off, "not asked (average power chosen)"};
  }
  card.memory_v1 = fn.device_get_memory_info_v2 == nullptr;
}

void read_card_fields(Session& session, Card& card, Frame& frame) {
  const Functions& fn = session.fn;
  frame.timestamp_s = session.now;
  frame.timestamp_text.assign(session.stamp_text());
  frame.gpu_uuid.assign(card.uuid);
  frame.gpu_model.assign(card.name);
  unsigned long long energy = 0;
  frame.energy_mj =
      session.attempt(card, kEnergy, false,
                      [&] { return fn.device_get_total_energy_consumption(card.handle, &energy); })
          ? std::optional<double>(static_cast<double>(energy))
          : std::nullopt;
  frame.power_w.reset();
  if (session.options.power == PowerReading::interval) {
    frame.power_w = card.interval_power.next(session.now, frame.energy_mj);
  }
  if (!frame.power_w) frame.power_w = read_power(session, card);
  const auto read_unsigned = [&](Cap cap, auto&& call, double scale) -> std::optional<double> {
    unsigned value = 0;
    if (session.attempt(card, cap, false, [&] { return call(&value); })) return value * scale;
    return std::nullopt;
  };
  frame.power_limit_w = read_unsigned(
      kPowerLimit,
      [&](unsigned* v) { return fn.device_get_power_management_limit(card.handle, v); }, 1e-3);
  frame.sm_clock_mhz = read_unsigned(
      kSmClock, [&](unsigned* v) { return fn.device_get_clock_info(card.handle, kClockSm, v); },
      1.0);
  frame.mem_clock_mhz = read_unsigned(
      kMemClock, [&](unsigned* v) { return fn.device_get_clock_info(card.handle, kClockMem, v); },
      1.0);
  frame.temperature_c = read_unsigned(
      kTemperature,
      [&](unsigned* v) { return fn.device_get_temperature(card.handle, kTemperatureGpu, v); }, 1.0);
}

void read_instance_fields(Session& session, Card& card, const Instance& instance,
                          InstanceSample& sample) {
  sample.gpu_i_id = static_cast<int>(instance.gi_id);
  sample.profile.assign(instance.profile);
  sample.compute_slices = instance.compute_slices;
  sample.memory_slices = instance.memory_slices;
  sample.activity.fill(std::nullopt);
  sample.workload.clear();
  sample.truth_power_w.reset();
  sample.fb_used_mib = read_memory_mib(session, card, instance.handles.front(), card.mig_on);
}

void read_duty_cycle(Session& session, Card& card, InstanceSample& sample) {
  const auto gr_engine = static_cast<std::size_t>(Activity::gr_engine);
  if (card.mig_on || sample.activity[gr_engine]) return;
  Utilization utilization{};
  if (session.attempt(card, kUtilization, false, [&] {
        return session.fn.device_get_utilization_rates(card.handle, &utilization);
      })) {
    sample.activity[gr_engine] = std::min(utilization.gpu / 100.0, 1.0);
  }
}

}  // namespace migpower::nvml
