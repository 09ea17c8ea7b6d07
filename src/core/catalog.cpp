#include "core/catalog.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>

#include "core/error.hpp"

namespace migpower {
namespace {

std::vector<int> every_start(int slices, int width, int step) {
  std::vector<int> starts;
  for (int s = 0; s + width <= slices; s += step) starts.push_back(s);
  return starts;
}

// The seven-slice MIG layout shared by A100 and H100/H200. Sources: NVIDIA MIG user guide,
// "Supported MIG Profiles" tables. `gb` holds the memory of the 1g, 1g-double, 2g, 3g, 4g, 7g
// profiles; `sms` their SM counts.
std::vector<MigProfile> seven_slice_profiles(const std::array<std::string, 6>& gb,
                                             const std::array<int, 6>& sms) {
  auto mem = [](const std::string& s) { return std::stod(s); };
  return {
      {"1g." + gb[0] + "gb", 1, 1, sms[0], mem(gb[0]), every_start(7, 1, 1)},
      {"1g." + gb[0] + "gb+me", 1, 1, sms[0], mem(gb[0]), every_start(7, 1, 1)},
      {"1g." + gb[1] + "gb", 1, 2, sms[1], mem(gb[1]), every_start(7, 1, 2)},
      {"2g." + gb[2] + "gb", 2, 2, sms[2], mem(gb[2]), every_start(7, 2, 2)},
      {"3g." + gb[3] + "gb", 3, 4, sms[3], mem(gb[3]), {0, 4}},
      {"4g." + gb[4] + "gb", 4, 4, sms[4], mem(gb[4]), {0}},
      {"7g." + gb[5] + "gb", 7, 8, sms[5], mem(gb[5]), {0}},
  };
}

std::vector<GpuModel> build_catalog() {
  std::vector<GpuModel> models;
  // Idle powers are typical readings of an idle card at ~30 C, not datasheet values.
  models.push_back(
      {"A100-SXM4-40GB",
       {"A100-SXM4-40GB", "A100-PCIE-40GB", "A100 40GB", "A100"},
       7,
       8,
       108,
       400.0,
       55.0,
       1410.0,
       210.0,
       seven_slice_profiles({"5", "10", "10", "20", "20", "40"}, {14, 14, 28, 42, 56, 98})});
  models.push_back(
      {"A100-80GB",
       {"A100-SXM4-80GB", "A100 80GB", "A100-80GB"},
       7,
       8,
       108,
       400.0,
       60.0,
       1410.0,
       210.0,
       seven_slice_profiles({"10", "20", "20", "40", "40", "80"}, {14, 14, 28, 42, 56, 98})});
  models.push_back({"A30-24GB",
                    {"A30"},
                    4,
                    4,
                    56,
                    165.0,
                    30.0,
                    1440.0,
                    210.0,
                    {
                        {"1g.6gb", 1, 1, 14, 6.0, every_start(4, 1, 1)},
                        {"1g.6gb+me", 1, 1, 14, 6.0, every_start(4, 1, 1)},
                        {"2g.12gb", 2, 2, 28, 12.0, every_start(4, 2, 2)},
                        {"2g.12gb+me", 2, 2, 28, 12.0, every_start(4, 2, 2)},
                        {"4g.24gb", 4, 4, 56, 24.0, {0}},
                    }});
  models.push_back(
      {"H100-80GB",
       {"H100 80GB", "H100-80GB", "H100-SXM5-80GB", "H100 PCIe", "H100"},
       7,
       8,
       132,
       700.0,
       70.0,
       1980.0,
       345.0,
       seven_slice_profiles({"10", "20", "20", "40", "40", "80"}, {16, 26, 32, 60, 64, 132})});
  models.push_back(
      {"H200-141GB",
       {"H200"},
       7,
       8,
       132,
       700.0,
       75.0,
       1980.0,
       345.0,
       seven_slice_profiles({"18", "35", "35", "71", "71", "141"}, {16, 26, 32, 60, 64, 132})});
  return models;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

const MigProfile* GpuModel::find_profile(std::string_view name) const {
  for (const auto& p : profiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::span<const GpuModel> gpu_catalog() {
  static const std::vector<GpuModel> kCatalog = build_catalog();
  return kCatalog;
}

const GpuModel* find_gpu_model(std::string_view name) {
  const std::string wanted = upper(name);
  for (const auto& model : gpu_catalog()) {
    if (upper(model.key) == wanted) return &model;
  }
  // Aliases are tried from the most specific (longest) to the least across all models, so
  // "A100-SXM4-80GB" finds the 80 GB model rather than the bare "A100" alias.
  const GpuModel* best = nullptr;
  std::size_t best_length = 0;
  for (const auto& model : gpu_catalog()) {
    for (const auto& alias : model.aliases) {
      if (alias.size() > best_length && wanted.find(upper(alias)) != std::string::npos) {
        best = &model;
        best_length = alias.size();
      }
    }
  }
  return best;
}

std::optional<ParsedProfile> parse_profile_name(std::string_view name) {
  // Shape: <N>g.<M>gb, optionally followed by "+me" or "+gfx" style suffixes.
  int slices = 0;
  const char* p = name.data();
  const char* end = name.data() + name.size();
  auto [after_n, ec] = std::from_chars(p, end, slices);
  if (ec != std::errc{} || after_n == end || *after_n != 'g' || slices <= 0) return std::nullopt;
  p = after_n + 1;
  if (p == end || *p != '.') return std::nullopt;
  ++p;
  double gb = 0.0;
  auto [after_m, ec2] = std::from_chars(p, end, gb);
  // from_chars also reads "nan" and "inf": not a memory size.
  if (ec2 != std::errc{} || !std::isfinite(gb) || gb <= 0.0) return std::nullopt;
  const std::string_view rest(after_m, static_cast<std::size_t>(end - after_m));
  if (!rest.starts_with("gb")) return std::nullopt;
  const std::string_view suffix = rest.substr(2);
  if (!suffix.empty() && suffix.front() != '+') return std::nullopt;
  return ParsedProfile{slices, gb};
}

ResolvedProfile resolve_profile(const GpuModel* model, std::string_view profile) {
  if (model != nullptr) {
    if (const MigProfile* known = model->find_profile(profile)) {
      return {known->compute_slices, known->memory_slices, known->sm_count, true};
    }
  }
  if (auto parsed = parse_profile_name(profile)) {
    return {parsed->compute_slices, 0, 0, false};
  }
  throw InputError("unknown MIG profile '" + std::string(profile) +
                   "': not in the catalog and not of the form Ng.Mgb");
}

std::optional<std::vector<int>> place_profiles(const GpuModel& model,
                                               std::span<const std::string> profiles) {
  std::vector<const MigProfile*> wanted;
  int memory = 0;
  for (const auto& name : profiles) {
    const MigProfile* p = model.find_profile(name);
    if (p == nullptr) return std::nullopt;
    wanted.push_back(p);
    memory += p->memory_slices;
  }
  if (memory > model.memory_slices) return std::nullopt;
  const auto media_engines = std::count_if(profiles.begin(), profiles.end(), [](const auto& n) {
    return n.find("+me") != std::string::npos;
  });
  if (media_engines > 1) return std::nullopt;  // one media-extension instance per card

  // Place the widest first: fewer choices, so the search stays tiny (at most 7 instances).
  std::vector<std::size_t> order(wanted.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return wanted[a]->compute_slices > wanted[b]->compute_slices;
  });
  std::vector<bool> used(static_cast<std::size_t>(model.compute_slices), false);
  std::vector<int> starts(wanted.size(), -1);
  std::function<bool(std::size_t)> place = [&](std::size_t k) {
    if (k == order.size()) return true;
    const MigProfile& p = *wanted[order[k]];
    for (int s : p.starts) {
      bool free = true;
      for (int j = s; j < s + p.compute_slices; ++j)
        free = free && !used[static_cast<std::size_t>(j)];
      if (!free) continue;
      for (int j = s; j < s + p.compute_slices; ++j) used[static_cast<std::size_t>(j)] = true;
      starts[order[k]] = s;
      if (place(k + 1)) return true;
      for (int j = s; j < s + p.compute_slices; ++j) used[static_cast<std::size_t>(j)] = false;
    }
    return false;
  };
  if (!place(0)) return std::nullopt;
  return starts;
}

}  // namespace migpower
