#include "sim/simulator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/error.hpp"
#include "sim/physics.hpp"
#include "sim/physics_family.hpp"
#include "sim/random.hpp"
#include "sim/scenarios.hpp"
#include "sim/workload.hpp"

namespace migpower {
namespace {

constexpr double kMaxSubstep_s = 0.1;  // physics step: at most this, at least 10 a frame
constexpr int kMinSubsteps = 10;
constexpr double kEnergyCounterStart_mj = 1e9;  // the counter runs since the driver loaded

std::uint64_t fnv1a(std::string_view text, std::uint64_t basis) {
  std::uint64_t h = basis;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ULL;
  }
  return h;
}

// "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", stable per scenario.
std::string fake_uuid(std::string_view scenario) {
  const std::uint64_t a = fnv1a(scenario, 0xCBF29CE484222325ULL);
  const std::uint64_t b = fnv1a(scenario, a ^ 0x5bd1e9955bd1e995ULL);
  char buf[64];
  std::snprintf(buf, sizeof buf, "GPU-%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xFFFF), static_cast<unsigned>(a & 0xFFFF),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::string scenario_names() {
  std::string names;
  for (const auto& info : simulator_scenarios()) {
    if (!names.empty()) names += ", ";
    names += info.name;
  }
  return names;
}

}  // namespace

struct Simulator::State {
  struct Instance {
    int gpu_i_id = 0;
    std::string profile;
    int compute_slices = 0;
    int memory_slices = 0;
    double sm_share = 0.0;
    double memory_share = 0.0;
    double static_share = 0.0;  // of the card's static power: its compute slices' share
    Workload workload;
    std::string label;
    // Per-frame sums over sub-steps.
    ActivityVector activity_sum{};
    double truth_sum_w = 0.0;
    // This sub-step.
    ActivityVector activity{};
    DynamicDemand demand;
  };

  SimulationOptions options;
  const GpuModel* model = nullptr;
  CardPhysics physics;
  PhysicsDraw draw;  // the physics family's sensor and cap; its card part is in `physics`
  double power_limit_w = 0.0;
  std::string uuid;
  std::string gpu_model;  // as NVML names it
  std::vector<Instance> instances;
  SimRng sensor_rng{0};

  long long frame_count = 0;
  long long frame_index = 0;
  int substeps = 0;
  double dt_s = 0.0;

  double temperature_c = 0.0;
  double clock_mhz = 0.0;
  double energy_mj = kEnergyCounterStart_mj;
  double sensor_w = 0.0;  // a sensor with its own averaging window: its state
  bool sensor_started = false;

  void simulate_frame(double& mean_power_w);
};

Simulator::Simulator(SimulationOptions options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  const ScenarioSpec* spec = find_scenario(options.scenario);
  if (spec == nullptr) {
    throw InputError("unknown simulator scenario '" + options.scenario +
                     "'; known: " + scenario_names());
  }
  if (!(options.duration_s > 0.0) || !std::isfinite(options.duration_s)) {
    throw InputError("simulation duration must be a positive number of seconds");
  }
  if (!(options.interval_s > 0.0) || !std::isfinite(options.interval_s)) {
    throw InputError("simulation interval must be a positive number of seconds");
  }
  if (!std::isfinite(options.start_timestamp_s)) {
    throw InputError("simulation start timestamp must be finite");
  }
  const double frames = std::floor(options.duration_s / options.interval_s + 1e-9);
  if (frames < 1.0) {
    throw InputError("simulation duration is shorter than one interval");
  }
  if (frames > 1e12) throw InputError("simulation has too many frames");
  s.frame_count = static_cast<long long>(frames);
  s.substeps = std::max(kMinSubsteps,
                        static_cast<int>(std::ceil(options.interval_s / kMaxSubstep_s - 1e-9)));
  s.dt_s = options.interval_s / s.substeps;

  s.model = find_gpu_model(spec->gpu_model);
  if (s.model == nullptr) throw InputError("scenario GPU model unknown: " + spec->gpu_model);
  s.physics = card_physics(*s.model);
  s.draw = draw_physics(options.physics, options.physics_seed);
  apply_physics_draw(s.draw, s.physics);
  s.power_limit_w = spec->power_limit_w.value_or(s.model->tdp_w);
  if (s.draw.power_cap_fraction) {
    s.power_limit_w = std::min(s.power_limit_w, *s.draw.power_cap_fraction * s.model->tdp_w);
  }
  s.uuid = fake_uuid(spec->name);
  s.gpu_model = spec->gpu_model;

  std::vector<std::string> profiles;
  for (const auto& inst : spec->instances) profiles.push_back(inst.profile);
  const auto starts = place_profiles(*s.model, profiles);
  if (!starts) throw InputError("scenario '" + spec->name + "' has an invalid MIG layout");
  int total_slices = 0;
  for (const auto& inst : spec->instances) {
    total_slices += s.model->find_profile(inst.profile)->compute_slices;
  }
  s.instances.reserve(spec->instances.size());
  for (std::size_t i = 0; i < spec->instances.size(); ++i) {
    const MigProfile& p = *s.model->find_profile(spec->instances[i].profile);
    const WorkloadKind kind = spec->instances[i].workload;
    s.instances.push_back(State::Instance{
        nvml_instance_id(p.compute_slices, (*starts)[i]),
        p.name,
        p.compute_slices,
        p.memory_slices,
        static_cast<double>(p.sm_count) / s.model->sm_count,
        static_cast<double>(p.memory_slices) / s.model->memory_slices,
        static_cast<double>(p.compute_slices) / total_slices,
        Workload(kind, p.compute_slices, p.memory_gb * 1024.0, mix_seed(options.seed, i + 1)),
        std::string(workload_label(kind)),
        {},
        0.0,
        {},
        {}});
  }
  s.sensor_rng = SimRng(mix_seed(options.seed, 0));
  s.temperature_c = idle_temperature_c(s.physics);
  s.clock_mhz = s.physics.max_clock_mhz;
  s.options = std::move(options);
}

Simulator::~Simulator() = default;
Simulator::Simulator(Simulator&&) noexcept = default;
Simulator& Simulator::operator=(Simulator&&) noexcept = default;

void Simulator::State::simulate_frame(double& mean_power_w) {
  for (auto& inst : instances) {
    inst.activity_sum = {};
    inst.truth_sum_w = 0.0;
  }
  double power_sum_w = 0.0;
  for (int step = 0; step < substeps; ++step) {
    DynamicDemand total;
    for (auto& inst : instances) {
      inst.workload.step(dt_s, inst.activity);
      inst.demand = dynamic_demand(physics, inst.activity, inst.sm_share, inst.memory_share);
      total.compute_w += inst.demand.compute_w;
      total.memory_w += inst.demand.memory_w;
    }
    // The power controller sees this step's demand and moves the clock with a lag, so power
    // can overshoot the limit briefly when load jumps.
    const double target = highest_clock_within(physics, temperature_c, total, power_limit_w);
    clock_mhz = clock_step(physics, clock_mhz, target, dt_s);
    const double scale = clock_factor(physics, clock_mhz);
    const double static_w = static_power_w(physics, temperature_c, clock_mhz);
    const double power_w = static_w + scale * total.compute_w + total.memory_w;
    for (auto& inst : instances) {
      for (std::size_t k = 0; k < kActivityCount; ++k) inst.activity_sum[k] += inst.activity[k];
      inst.truth_sum_w +=
          scale * inst.demand.compute_w + inst.demand.memory_w + inst.static_share * static_w;
    }
    power_sum_w += power_w;
    if (draw.sensor_window_s > 0.0) {
      // A sensor with its own first-order averaging window, read at the frame's end.
      sensor_w = sensor_started
                     ? power_w + (sensor_w - power_w) * std::exp(-dt_s / draw.sensor_window_s)
                     : power_w;
      sensor_started = true;
    }
    energy_mj += power_w * dt_s * 1000.0;
    temperature_c = thermal_step(physics, temperature_c, power_w, dt_s);
  }
  mean_power_w = power_sum_w / substeps;
}

bool Simulator::next(Frame& out) {
  State& s = *state_;
  if (s.frame_index >= s.frame_count) return false;
  double mean_power_w = 0.0;
  s.simulate_frame(mean_power_w);

  const double t =
      s.options.start_timestamp_s + static_cast<double>(s.frame_index) * s.options.interval_s;
  ++s.frame_index;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.3f", t);
  out.timestamp_s = t;
  out.timestamp_text.assign(buf);
  out.gpu_uuid.assign(s.uuid);
  out.gpu_model.assign(s.gpu_model);
  // The sensor averages over the frame interval (nominal) or its own window, adds noise, and
  // reports milliwatts.
  const double sensed_w = s.draw.sensor_window_s > 0.0 ? s.sensor_w : mean_power_w;
  const double noise_sd_w = s.draw.sensor_noise_fraction > 0.0
                                ? s.draw.sensor_noise_w + s.draw.sensor_noise_fraction * sensed_w
                                : s.draw.sensor_noise_w;
  const double reading = sensed_w + noise_sd_w * s.sensor_rng.normal();
  out.power_w = std::round(reading * 1000.0) / 1000.0;
  out.energy_mj = std::floor(s.energy_mj);
  // Clocks move in steps of the card's clock grid.
  const CardPhysics& p = s.physics;
  out.sm_clock_mhz =
      p.min_clock_mhz +
      std::round((s.clock_mhz - p.min_clock_mhz) / p.clock_step_mhz) * p.clock_step_mhz;
  out.mem_clock_mhz = s.physics.mem_clock_mhz;
  out.temperature_c = std::round(s.temperature_c);
  out.power_limit_w = s.power_limit_w;

  const auto n = static_cast<double>(s.substeps);
  out.instances.resize(s.instances.size());
  for (std::size_t i = 0; i < s.instances.size(); ++i) {
    const auto& inst = s.instances[i];
    InstanceSample& sample = out.instances[i];
    sample.gpu_i_id = inst.gpu_i_id;
    sample.profile.assign(inst.profile);
    sample.compute_slices = inst.compute_slices;
    sample.memory_slices = inst.memory_slices;
    // Reported at the resolution the real tools give: dcgm-exporter prints fractions with six
    // decimals and whole MiB; truth keeps the sensor's milliwatts.
    for (std::size_t k = 0; k < kActivityCount; ++k) {
      sample.activity[k] = std::round(std::min(1.0, inst.activity_sum[k] / n) * 1e6) / 1e6;
    }
    sample.fb_used_mib = std::round(inst.workload.fb_used_mib());
    sample.workload.assign(inst.label);
    sample.truth_power_w = std::round(inst.truth_sum_w / n * 1000.0) / 1000.0;
  }
  return true;
}

}  // namespace migpower
