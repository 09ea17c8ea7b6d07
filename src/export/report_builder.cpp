#include "export/report_builder.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <unordered_map>
#include <utility>

#include "core/energy_units.hpp"
#include "core/error.hpp"

namespace migpower {
namespace {

constexpr double kGramsPerKg = 1000.0;
constexpr double kSecondsPerYear = 365.25 * 24.0 * 3600.0;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string instance_name(const std::string& gpu_uuid, int gpu_i_id) {
  return gpu_uuid + "/" + std::to_string(gpu_i_id);
}

// Sums for one group while the frames go by.
struct GroupSums {
  ReportGroup group;
  bool sd_complete = true;  // every row with power had a finite sd
  double sd_j = 0.0;
  bool market_complete = true;
  double power_sum_w = 0.0;
  // The group's power at the instant being summed, and whether it appeared in it.
  double instant_w = 0.0;
  bool in_instant = false;
};

// One instance of one card as the plots and the group lookup know it.
struct CardInstance {
  int gpu_i_id = 0;
  std::string profile;
  std::string workload;
  std::size_t group = 0;
};

struct CardSums {
  ReportCard card;
  std::vector<CardInstance> instances;  // plot column 2 + i
  double power_sum_w = 0.0;
  bool market_complete = true;
  std::unique_ptr<KeyedMinMaxDecimator> plot;
  std::vector<double> row;  // scratch: the plot row of one frame
};

class Builder {
 public:
  explicit Builder(const ReportSettings& settings) : settings_(settings) {}

  void add(const ReportFrame& frame) {
    if (frame.timestamp_s != instant_t_) flush_instant();
    instant_t_ = frame.timestamp_s;
    if (report_.frames == 0) report_.first_s = frame.timestamp_s;
    report_.first_s = std::min(report_.first_s, frame.timestamp_s);
    report_.last_s = std::max(report_.last_s, frame.timestamp_s);
    ++report_.frames;

    CardSums& card = card_for(frame);
    ReportCard& c = card.card;
    ++c.frames;
    c.last_s = frame.timestamp_s;
    if (!frame.has_power) ++c.frames_without_power;

    const double intensity = frame.carbon_g_per_kwh.value_or(settings_.carbon_g_per_kwh);
    const std::optional<double> market = frame.market_carbon_g_per_kwh
                                             ? frame.market_carbon_g_per_kwh
                                             : settings_.market_carbon_g_per_kwh;
    if (frame.interval_s > 0.0) {
      ++report_.intervals;
      if (frame.carbon_g_per_kwh) ++report_.intervals_with_source_carbon;
    }
    const double card_kwh = frame.card_energy_j / kJoulesPerKwh;
    c.energy_j += frame.card_energy_j;
    c.unattributed_j += frame.unattributed_j;
    c.carbon_g += card_kwh * intensity;
    if (market) {
      c.market_carbon_g = c.market_carbon_g.value_or(0.0) + card_kwh * *market;
    } else if (frame.card_energy_j > 0.0) {
      card.market_complete = false;
    }
    if (frame.has_power) {
      card.power_sum_w += frame.card_power_w;
      c.peak_power_w = std::max(c.peak_power_w, frame.card_power_w);
    }

    // Embodied carbon: the card's, by time over its lifetime, and by the slices each holds.
    const double card_slices = card_slices_of(frame);
    const double embodied_g_per_s = settings_.embodied_kgco2e
                                        ? *settings_.embodied_kgco2e * kGramsPerKg /
                                              (settings_.lifetime_years * kSecondsPerYear)
                                        : 0.0;

    std::fill(card.row.begin(), card.row.end(), kNaN);
    for (const ReportInstanceRow& row : frame.instances) {
      const std::size_t column = instance_column(card, frame, row);
      if (card.row.size() <= column + 2) card.row.resize(column + 3, kNaN);
      GroupSums& sums = groups_[card.instances[column].group];
      ReportGroup& group = sums.group;
      const double kwh = row.energy_j / kJoulesPerKwh;
      group.energy_j += row.energy_j;
      group.static_energy_j += row.static_energy_j;
      group.dynamic_energy_j += row.dynamic_energy_j;
      group.carbon_g += kwh * intensity;
      if (market) {
        group.market_carbon_g = group.market_carbon_g.value_or(0.0) + kwh * *market;
      } else if (row.energy_j > 0.0) {
        sums.market_complete = false;
      }
      if (settings_.embodied_kgco2e && settings_.group_by != ReportGrouping::gpu) {
        const double slices = row.compute_slices > 0
                                  ? row.compute_slices
                                  : card_slices / static_cast<double>(frame.instances.size());
        group.embodied_g = group.embodied_g.value_or(0.0) +
                           embodied_g_per_s * frame.interval_s * slices / card_slices;
      }
      if (!frame.has_power) continue;
      if (std::isfinite(row.energy_sd_j)) {
        sums.sd_j += row.energy_sd_j;
      } else {
        sums.sd_complete = false;  // the method gives no uncertainty
      }
      sums.instant_w += row.power_w;
      sums.in_instant = true;
      card.row[column + 2] = row.power_w;
    }
    if (settings_.group_by == ReportGrouping::gpu) {
      // The card's own row holds the whole card: its unattributed energy and all its slices.
      GroupSums& sums = groups_[card.instances.empty() ? group_for(frame.gpu_uuid, frame.gpu_uuid)
                                                       : card.instances.front().group];
      add_unattributed(sums, frame, intensity, market);
      if (settings_.embodied_kgco2e) {
        sums.group.embodied_g =
            sums.group.embodied_g.value_or(0.0) + embodied_g_per_s * frame.interval_s;
      }
    } else if (frame.unattributed_j > 0.0 || frame.unattributed_w > 0.0) {
      GroupSums& sums = groups_[unattributed_group()];
      add_unattributed(sums, frame, intensity, market);
    }
    if (frame.has_power) {
      card.row[0] = frame.card_power_w;
      card.row[1] = frame.unattributed_w;
      card.plot->add(frame.timestamp_s, card.row);
    }
  }

  Report finish(const ReportSourceInfo& info) {
    flush_instant();
    report_.info = info;
    report_.settings = settings_;
    bool market_complete = true;
    for (CardSums& sums : cards_) {
      ReportCard& c = sums.card;
      const std::size_t with_power = c.frames - c.frames_without_power;
      c.mean_power_w = with_power > 0 ? sums.power_sum_w / static_cast<double>(with_power) : 0.0;
      if (!sums.market_complete) c.market_carbon_g.reset();
      market_complete = market_complete && sums.market_complete;
      if (settings_.price_per_kwh) c.cost = *settings_.price_per_kwh * c.energy_j / kJoulesPerKwh;
      for (const CardInstance& instance : sums.instances) {
        std::string label = "gi " + std::to_string(instance.gpu_i_id) + " " + instance.profile;
        if (!instance.workload.empty()) label += " " + instance.workload;
        c.instance_labels.push_back(std::move(label));
      }
      c.power = sums.plot->finish();
      report_.energy_j += c.energy_j;
      report_.carbon_g += c.carbon_g;
      if (c.market_carbon_g) {
        report_.market_carbon_g = report_.market_carbon_g.value_or(0.0) + *c.market_carbon_g;
      }
      if (c.cost) report_.cost = report_.cost.value_or(0.0) + *c.cost;
      report_.cards.push_back(std::move(c));
    }
    if (!market_complete) report_.market_carbon_g.reset();

    bool any_sd = false;
    double sd_total = 0.0;
    for (GroupSums& sums : groups_) {
      ReportGroup& group = sums.group;
      group.mean_power_w =
          group.instants > 0 ? sums.power_sum_w / static_cast<double>(group.instants) : 0.0;
      group.share_pct = report_.energy_j > 0.0 ? 100.0 * group.energy_j / report_.energy_j : 0.0;
      if (!sums.market_complete) group.market_carbon_g.reset();
      if (settings_.price_per_kwh) {
        group.cost = *settings_.price_per_kwh * group.energy_j / kJoulesPerKwh;
      }
      if (sums.sd_complete && !group.unattributed) group.energy_sd_j = sums.sd_j;
      if (group.energy_sd_j) {
        any_sd = true;
        sd_total += *group.energy_sd_j;
      }
      if (group.embodied_g) group.sci_g = group.carbon_g + *group.embodied_g;
      report_.groups.push_back(std::move(group));
    }
    if (any_sd) report_.uncertainty_energy_j = sd_total;
    std::stable_sort(report_.groups.begin(), report_.groups.end(),
                     [](const ReportGroup& a, const ReportGroup& b) {
                       if (a.unattributed != b.unattributed) return b.unattributed;
                       return a.energy_j > b.energy_j;
                     });
    return std::move(report_);
  }

 private:
  static double card_slices_of(const ReportFrame& frame) {
    if (frame.card_compute_slices > 0) return frame.card_compute_slices;
    int slices = 0;
    for (const ReportInstanceRow& row : frame.instances) slices += std::max(row.compute_slices, 0);
    return std::max(slices, 1);
  }

  static void add_unattributed(GroupSums& sums, const ReportFrame& frame, double intensity,
                               const std::optional<double>& market) {
    const double kwh = frame.unattributed_j / kJoulesPerKwh;
    sums.group.energy_j += frame.unattributed_j;
    sums.group.static_energy_j += frame.unattributed_j;  // the idle policy leaves static power
    sums.group.carbon_g += kwh * intensity;
    if (market) {
      sums.group.market_carbon_g = sums.group.market_carbon_g.value_or(0.0) + kwh * *market;
    } else if (frame.unattributed_j > 0.0) {
      sums.market_complete = false;
    }
    if (frame.has_power) {
      sums.instant_w += frame.unattributed_w;
      sums.in_instant = true;
    }
  }

  CardSums& card_for(const ReportFrame& frame) {
    for (CardSums& card : cards_) {
      if (card.card.gpu_uuid == frame.gpu_uuid) {
        if (!frame.gpu_model.empty()) card.card.gpu_model = frame.gpu_model;
        return card;
      }
    }
    CardSums card;
    card.card.gpu_uuid = frame.gpu_uuid;
    card.card.gpu_model = frame.gpu_model;
    card.card.first_s = frame.timestamp_s;
    card.plot = std::make_unique<KeyedMinMaxDecimator>(settings_.plot_points);
    card.row.assign(2, kNaN);
    cards_.push_back(std::move(card));
    return cards_.back();
  }

  // The plot column of an instance of `card` (same id and profile: the same instance), found
  // or added, with its group.
  std::size_t instance_column(CardSums& card, const ReportFrame& frame,
                              const ReportInstanceRow& row) {
    for (std::size_t i = 0; i < card.instances.size(); ++i) {
      CardInstance& instance = card.instances[i];
      if (instance.gpu_i_id != row.gpu_i_id || instance.profile != row.profile) continue;
      if (row.workload.empty() || instance.workload == row.workload) return i;
      // A new label on the same instance: a new tenant from here on.
      instance.workload = row.workload;
      instance.group = group_of(frame, row);
      return i;
    }
    card.instances.push_back(CardInstance{row.gpu_i_id, row.profile, row.workload});
    card.instances.back().group = group_of(frame, row);
    return card.instances.size() - 1;
  }

  std::size_t group_of(const ReportFrame& frame, const ReportInstanceRow& row) {
    const std::string instance = instance_name(frame.gpu_uuid, row.gpu_i_id);
    const std::string member = instance + " " + row.profile;
    std::size_t index = 0;
    switch (settings_.group_by) {
      case ReportGrouping::instance:
        index = group_for(member + "\n" + row.workload,
                          row.workload.empty() ? member : member + " " + row.workload);
        break;
      case ReportGrouping::tenant:
        index = group_for(row.workload.empty() ? instance : row.workload,
                          row.workload.empty() ? instance : row.workload);
        break;
      case ReportGrouping::gpu:
        index = group_for(frame.gpu_uuid, frame.gpu_uuid);
        break;
    }
    std::vector<std::string>& members = groups_[index].group.members;
    if (std::find(members.begin(), members.end(), member) == members.end()) {
      members.push_back(member);
    }
    return index;
  }

  std::size_t group_for(const std::string& key, const std::string& name) {
    const auto [it, added] = group_index_.try_emplace(key, groups_.size());
    if (added) {
      groups_.emplace_back();
      groups_.back().group.name = name;
    }
    return it->second;
  }

  std::size_t unattributed_group() {
    // A key no instance or tenant can have: labels are single-line.
    const std::size_t index = group_for("\n(unattributed)", "(unattributed)");
    groups_[index].group.unattributed = true;
    return index;
  }

  void flush_instant() {
    for (GroupSums& sums : groups_) {
      if (!sums.in_instant) continue;
      ++sums.group.instants;
      sums.power_sum_w += sums.instant_w;
      sums.group.peak_power_w = std::max(sums.group.peak_power_w, sums.instant_w);
      sums.instant_w = 0.0;
      sums.in_instant = false;
    }
  }

  const ReportSettings& settings_;
  Report report_;
  std::vector<CardSums> cards_;
  std::vector<GroupSums> groups_;
  std::unordered_map<std::string, std::size_t> group_index_;
  double instant_t_ = kNaN;
};

}  // namespace

std::string_view to_string(ReportGrouping grouping) {
  switch (grouping) {
    case ReportGrouping::instance:
      return "instance";
    case ReportGrouping::tenant:
      return "tenant";
    case ReportGrouping::gpu:
      return "gpu";
  }
  return "tenant";
}

ReportGrouping parse_report_grouping(std::string_view text) {
  if (text == "instance") return ReportGrouping::instance;
  if (text == "tenant") return ReportGrouping::tenant;
  if (text == "gpu") return ReportGrouping::gpu;
  throw InputError("unknown grouping '" + std::string(text) + "' (instance, tenant or gpu)");
}

bool Report::has_uncertainty() const { return uncertainty_energy_j.has_value(); }

bool Report::has_unattributed() const {
  return std::any_of(groups.begin(), groups.end(),
                     [](const ReportGroup& group) { return group.unattributed; });
}

Report build_report(ReportSource& source, const ReportSettings& settings) {
  Builder builder(settings);
  ReportFrame frame;
  while (source.next(frame)) builder.add(frame);  // one frame per pass; the source ends
  return builder.finish(source.info());
}

std::string carbon_source_text(const Report& report) {
  const ReportSettings& settings = report.settings;
  std::string source = settings.carbon_source;
  if (source.empty() && settings.carbon_g_per_kwh == kDefaultCarbonGPerKwh) {
    source =
        "placeholder: the world average, IEA 2019, that CodeCarbon falls back to; give "
        "--carbon-intensity for your grid";
  }
  std::string text = source.empty()
                         ? fmt::format("{:g} g CO2e/kWh", settings.carbon_g_per_kwh)
                         : fmt::format("{:g} g CO2e/kWh ({})", settings.carbon_g_per_kwh, source);
  if (report.intervals_with_source_carbon > 0) {
    text = fmt::format("recorded by the source for {} of {} intervals; {} for the rest",
                       report.intervals_with_source_carbon, report.intervals, text);
  }
  return text;
}

}  // namespace migpower
