// The card-wide and per-instance fields of a frame read straight from NVML: energy, power, power
// limit, clocks, temperature, memory used, and the older utilization duty cycle without GPM.
#pragma once

#include "core/frame.hpp"
#include "sources/nvml/nvml_card.hpp"
#include "sources/nvml/nvml_session.hpp"

namespace migpower::nvml {

// Turns off from the start the field readings whose function this library lacks, and the
// instantaneous power when the average was chosen.
void init_field_caps(const Session& session, Card& card);

// The card's own fields of `frame`: time, identity, energy, power (by options.power), power
// limit, clocks and temperature. Leaves the instances and processes alone.
void read_card_fields(Session& session, Card& card, Frame& frame);

// Resets `sample` to the instance's identity with no activity, and reads its memory used.
void read_instance_fields(Session& session, Card& card, const Instance& instance,
                          InstanceSample& sample);

// Without MIG, when GPM gave no gr_engine activity: the older duty cycle
// (nvmlDeviceGetUtilizationRates) in its place.
void read_duty_cycle(Session& session, Card& card, InstanceSample& sample);

}  // namespace migpower::nvml
