#include "sources/prometheus/dcgm_exporter_frames.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/fields.hpp"
#include "core/parse_number.hpp"

namespace migpower {
namespace {

constexpr std::size_t kMaxDropExamples = 5;
// DCGM prints six decimals, so a full engine may read 1.000001: a hair over 1 is 1.
constexpr double kFractionSlack = 1e-6;
// Slot of DCGM_FI_DEV_FB_USED among the instance fields, after the activities.
constexpr unsigned kFbUsedSlot = kActivityCount;

enum class Scope : unsigned char { card, instance };
struct FieldSlot {
  Scope scope = Scope::card;
  unsigned slot = 0;  // a CardField, or an Activity / kFbUsedSlot
};

bool equals_ignoring_case(std::string_view a, std::string_view upper) {
  if (a.size() != upper.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const char c = (a[i] >= 'a' && a[i] <= 'z') ? static_cast<char>(a[i] - 'a' + 'A') : a[i];
    if (c != upper[i]) return false;
  }
  return true;
}

// Label names as dcgm-exporter spells them, newest first.
constexpr std::string_view kUuidLabels[] = {"UUID", "uuid"};
constexpr std::string_view kHostnameLabels[] = {"Hostname", "hostname"};
constexpr std::string_view kPodLabels[] = {"pod", "pod_name"};
constexpr std::string_view kNamespaceLabels[] = {"namespace", "pod_namespace"};
constexpr std::string_view kContainerLabels[] = {"container", "container_name"};

std::string_view first_label(const PromSample& sample, std::span<const std::string_view> names) {
  for (const std::string_view name : names) {
    if (const auto value = sample.label(name); value && !value->empty()) return *value;
  }
  return {};
}

// dcgm-exporter printed "<<<NULL>>>" for a profile DCGM could not name.
std::string_view clean_profile(std::string_view profile) {
  return profile.find("NULL") != std::string_view::npos ? std::string_view{} : profile;
}

// Names are matched exactly, or all in lower case (seen behind relabelling proxies).
std::optional<FieldSlot> find_field(std::string_view name) {
  constexpr std::string_view kPrefix = "DCGM_FI_";
  if (name.size() <= kPrefix.size() ||
      !equals_ignoring_case(name.substr(0, kPrefix.size()), kPrefix)) {
    return std::nullopt;
  }
  struct Entry {
    std::string_view name;
    FieldSlot slot;
  };
  static const std::vector<Entry> kEntries = [] {
    std::vector<Entry> entries = {
        {field::kPower, {Scope::card, 0}},
        {field::kEnergy, {Scope::card, 1}},
        {field::kSmClock, {Scope::card, 2}},
        {field::kMemClock, {Scope::card, 3}},
        {field::kGpuTemp, {Scope::card, 4}},
        {field::kPowerLimit, {Scope::card, 5}},
        {"DCGM_FI_DEV_POWER_USAGE_INSTANT", {Scope::card, 6}},
        {field::kFbUsed, {Scope::instance, kFbUsedSlot}},
    };
    for (std::size_t a = 0; a < kActivityCount; ++a) {
      entries.push_back({kActivityFieldNames[a], {Scope::instance, static_cast<unsigned>(a)}});
    }
    return entries;
  }();
  for (const Entry& entry : kEntries) {
    if (equals_ignoring_case(name, entry.name)) return entry.slot;
  }
  return std::nullopt;
}

}  // namespace

DcgmExporterFrames::DcgmExporterFrames(std::string source) : source_(std::move(source)) {}

std::vector<std::string_view> DcgmExporterFrames::field_names() {
  std::vector<std::string_view> names = {field::kPower,
                                         field::kEnergy,
                                         field::kSmClock,
                                         field::kMemClock,
                                         field::kGpuTemp,
                                         field::kPowerLimit,
                                         "DCGM_FI_DEV_POWER_USAGE_INSTANT",
                                         field::kFbUsed};
  names.insert(names.end(), kActivityFieldNames.begin(), kActivityFieldNames.end());
  return names;
}

void DcgmExporterFrames::begin(double scrape_time_s) {
  scrape_time_s_ = scrape_time_s;
  used_cards_ = 0;
}

DcgmExporterFrames::CardState* DcgmExporterFrames::card_for(const PromSample& sample) {
  std::string_view uuid = first_label(sample, kUuidLabels);
  const std::string_view gpu_index = sample.label("gpu").value_or(std::string_view{});
  const std::string_view hostname = first_label(sample, kHostnameLabels);
  std::string fallback;
  if (uuid.empty()) {
    if (gpu_index.empty()) return nullptr;  // not a GPU series
    // Without a UUID, the host and index name the card (unique within one scrape).
    fallback = (hostname.empty() ? std::string("gpu") : std::string(hostname) + "/gpu") +
               std::string(gpu_index);
    uuid = fallback;
  }
  for (std::size_t i = 0; i < used_cards_; ++i) {
    if (cards_[i].identity.uuid == uuid) return &cards_[i];
  }
  if (used_cards_ == cards_.size()) cards_.emplace_back();
  CardState& card = cards_[used_cards_++];
  card.identity.uuid = uuid;
  card.identity.gpu_index = gpu_index;
  card.identity.pci_bus_id = sample.label("pci_bus_id").value_or(std::string_view{});
  card.identity.device = sample.label("device").value_or(std::string_view{});
  card.identity.model = sample.label("modelName").value_or(std::string_view{});
  card.identity.hostname = hostname;
  card.model = find_gpu_model(card.identity.model);
  for (auto& copies : card.copies) copies.clear();
  card.own.fill(std::nullopt);
  card.used_instances = 0;
  card.whole = InstanceSample{};
  card.latest_timestamp_ms.reset();
  return &card;
}

InstanceSample& DcgmExporterFrames::instance_for(CardState& card, int id,
                                                 std::string_view profile) {
  for (std::size_t i = 0; i < card.used_instances; ++i) {
    if (card.instances[i].id == id) return card.instances[i].sample;
  }
  if (card.used_instances == card.instances.size()) card.instances.emplace_back();
  InstanceState& state = card.instances[card.used_instances++];
  state.id = id;
  state.sample = InstanceSample{};
  state.sample.gpu_i_id = id;
  state.sample.profile = clean_profile(profile);
  if (!state.sample.profile.empty()) {
    try {
      const ResolvedProfile resolved = resolve_profile(card.model, state.sample.profile);
      state.sample.compute_slices = resolved.compute_slices;
      state.sample.memory_slices = resolved.memory_slices;
    } catch (const InputError& e) {
      // An unknown profile leaves the slices unknown; the frame itself is still good.
      if (drop_examples_.size() < kMaxDropExamples) {
        drop_examples_.push_back(source_ + ": GPU_I_PROFILE '" + state.sample.profile +
                                 "': " + e.what());
      }
    }
  }
  return state.sample;
}

void DcgmExporterFrames::add_workload(InstanceSample& instance, const PromSample& sample) {
  workload_.clear();
  for (const auto names : {std::span<const std::string_view>(kNamespaceLabels),
                           std::span<const std::string_view>(kPodLabels),
                           std::span<const std::string_view>(kContainerLabels)}) {
    const std::string_view part = first_label(sample, names);
    if (part.empty()) continue;
    if (!workload_.empty()) workload_ += '/';
    workload_ += part;
  }
  if (workload_.empty()) return;
  // Several pods on one instance (time-slicing inside it): keep each once, in order seen.
  std::string_view existing = instance.workload;
  while (!existing.empty()) {
    const std::size_t end = std::min(existing.find(';'), existing.size());
    if (existing.substr(0, end) == workload_) return;
    existing.remove_prefix(std::min(end + 1, existing.size()));
  }
  if (!instance.workload.empty()) instance.workload += ';';
  instance.workload += workload_;
}

void DcgmExporterFrames::drop(const PromSample& sample, const std::string& why) {
  ++dropped_values_;
  if (drop_examples_.size() < kMaxDropExamples) {
    // Samples from a query (not a text line) have no line.
    const std::string where =
        sample.line > 0 ? source_ + ":" + std::to_string(sample.line) : source_;
    drop_examples_.push_back(where + ": " + std::string(sample.name) + ": " + why);
  }
}

void DcgmExporterFrames::on_sample(const PromSample& sample) {
  const std::optional<FieldSlot> field = find_field(sample.name);
  if (!field) {
    ++ignored_samples_;
    return;
  }
  CardState* card = card_for(sample);
  if (card == nullptr) {
    ++ignored_samples_;
    return;
  }
  if (sample.timestamp_ms &&
      (!card->latest_timestamp_ms || *sample.timestamp_ms > *card->latest_timestamp_ms)) {
    card->latest_timestamp_ms = sample.timestamp_ms;
  }

  const std::string_view id_text = sample.label("GPU_I_ID").value_or(std::string_view{});
  std::optional<int> instance_id;
  if (!id_text.empty()) {
    const std::optional<std::int64_t> id = parse_int(id_text);
    if (!id || *id < 0 || *id > 0xFFFF) {
      throw LocatedError(source_, sample.line, "GPU_I_ID",
                         "'" + std::string(id_text) + "' is not a GPU instance id");
    }
    instance_id = static_cast<int>(*id);
  }
  // An instance exists once a series names it, even when this value is dropped below.
  InstanceSample* instance = nullptr;
  if (instance_id) {
    instance = &instance_for(*card, *instance_id,
                             sample.label("GPU_I_PROFILE").value_or(std::string_view{}));
  } else if (field->scope == Scope::instance) {
    instance = &card->whole;
  }
  if (instance != nullptr) add_workload(*instance, sample);

  const double value = sample.value;
  if (!std::isfinite(value)) {
    drop(sample, "not a number");
    return;
  }
  if (field->scope == Scope::card) {
    if (value < 0.0) {
      drop(sample, "negative value " + std::to_string(value));
      return;
    }
    if (instance_id) {
      card->copies[field->slot].push_back(value);
    } else {
      card->own[field->slot] = value;
    }
    return;
  }
  if (field->slot == kFbUsedSlot) {
    if (value < 0.0) {
      drop(sample, "negative value " + std::to_string(value));
      return;
    }
    instance->fb_used_mib = value;
    return;
  }
  if (value < -kFractionSlack || value > 1.0 + kFractionSlack) {
    drop(sample, "fraction " + std::to_string(value) + " outside 0..1");
    return;
  }
  instance->set(static_cast<Activity>(field->slot), std::clamp(value, 0.0, 1.0));
}

void DcgmExporterFrames::build_frame(CardState& card, Frame& frame) const {
  frame.clear();
  frame.timestamp_s = use_sample_timestamps_ && card.latest_timestamp_ms
                          ? static_cast<double>(*card.latest_timestamp_ms) / 1000.0
                          : scrape_time_s_;
  frame.gpu_uuid = card.identity.uuid;
  frame.gpu_model = card.identity.model;
  // One value per card: its own series, else the median of the copies on its instances.
  std::array<std::optional<double>, kCardFieldCount> value{};
  for (std::size_t f = 0; f < kCardFieldCount; ++f) {
    if (card.own[f]) {
      value[f] = card.own[f];
      continue;
    }
    auto& copies = card.copies[f];
    if (copies.empty()) continue;
    const auto middle = copies.begin() + static_cast<std::ptrdiff_t>((copies.size() - 1) / 2);
    std::nth_element(copies.begin(), middle, copies.end());
    value[f] = *middle;
  }
  frame.power_w = value[kPower] ? value[kPower] : value[kPowerInstant];
  frame.energy_mj = value[kEnergy];
  frame.sm_clock_mhz = value[kSmClock];
  frame.mem_clock_mhz = value[kMemClock];
  frame.temperature_c = value[kTemperature];
  frame.power_limit_w = value[kPowerLimit];

  if (card.used_instances > 0) {
    // MIG: the instances named by series; whole-card profiling fields, if any, are not theirs.
    std::sort(card.instances.begin(),
              card.instances.begin() + static_cast<std::ptrdiff_t>(card.used_instances),
              [](const InstanceState& a, const InstanceState& b) { return a.id < b.id; });
    for (std::size_t i = 0; i < card.used_instances; ++i) {
      frame.instances.push_back(card.instances[i].sample);
    }
  } else {
    // Without MIG the card is its one instance, present even when no profiling field is.
    card.whole.gpu_i_id = 0;
    frame.instances.push_back(card.whole);
  }
}

void DcgmExporterFrames::finish(std::vector<Frame>& out) {
  out.resize(used_cards_);
  finished_cards_.resize(used_cards_);
  for (std::size_t i = 0; i < used_cards_; ++i) {
    build_frame(cards_[i], out[i]);
    finished_cards_[i] = cards_[i].identity;
  }
  used_cards_ = 0;
}

std::vector<Frame> dcgm_exporter_frames(std::string_view payload, const std::string& source,
                                        double scrape_time_s) {
  DcgmExporterFrames mapper(source);
  mapper.begin(scrape_time_s);
  parse_prometheus_text(payload, source, mapper);
  std::vector<Frame> frames;
  mapper.finish(frames);
  return frames;
}

}  // namespace migpower
