// Checks the catalog lookups of src/core/catalog.hpp on arbitrary strings: no crash, and the
// answers agree with each other.
//
// Input layout: byte 0 picks a catalog model (mod its size); the rest is split at '\n' into
// names. Every name goes through parse_profile_name, resolve_profile and find_gpu_model; the
// names together through place_profiles on the chosen model.

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/catalog.hpp"
#include "core/error.hpp"

namespace {

using migpower::GpuModel;

[[noreturn]] void broken(const char* what, std::string_view text) {
  std::fprintf(stderr, "profile_name_fuzz: %s on '%.*s'\n", what, static_cast<int>(text.size()),
               text.data());
  std::abort();
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::optional<migpower::ResolvedProfile> try_resolve(const GpuModel* model, std::string_view name) {
  try {
    return migpower::resolve_profile(model, name);
  } catch (const migpower::InputError&) {
    return std::nullopt;
  }
}

void check_name(std::string_view name) {
  const auto parsed = migpower::parse_profile_name(name);
  if (parsed) {
    if (parsed->compute_slices <= 0) broken("parsed profile without compute slices", name);
    if (!(parsed->memory_gb > 0.0) || !std::isfinite(parsed->memory_gb)) {
      broken("parsed profile with memory not positive and finite", name);
    }
  }
  // Without a model, resolving is exactly parsing.
  const auto unknown = try_resolve(nullptr, name);
  if (unknown.has_value() != parsed.has_value()) broken("resolve(nullptr) != parse", name);
  if (unknown && (unknown->from_catalog || unknown->compute_slices != parsed->compute_slices ||
                  unknown->memory_slices != 0)) {
    broken("resolve(nullptr) differs from the parsed name", name);
  }
  // With a model: the catalog's entry where it has one, else the parsed name.
  for (const GpuModel& model : migpower::gpu_catalog()) {
    const auto resolved = try_resolve(&model, name);
    if (const auto* known = model.find_profile(name)) {
      if (!resolved || !resolved->from_catalog ||
          resolved->compute_slices != known->compute_slices ||
          resolved->memory_slices != known->memory_slices) {
        broken("resolve ignores the catalog", name);
      }
    } else if (resolved.has_value() != unknown.has_value() ||
               (resolved &&
                (resolved->from_catalog || resolved->compute_slices != unknown->compute_slices))) {
      broken("resolve with a model differs from without, for a name not in it", name);
    }
  }
  // A model found must be named: its key is the name, or one of its aliases is in it.
  if (const GpuModel* model = migpower::find_gpu_model(name)) {
    const std::string wanted = upper(name);
    bool named = upper(model->key) == wanted;
    for (const auto& alias : model->aliases) {
      named = named || wanted.find(upper(alias)) != std::string::npos;
    }
    if (!named) broken("find_gpu_model found a model the name does not name", name);
  }
}

void check_placement(const GpuModel& model, const std::vector<std::string>& names) {
  const auto starts = migpower::place_profiles(model, names);
  // The order of the request must not matter for whether it fits.
  std::vector<std::string> reversed(names.rbegin(), names.rend());
  if (starts.has_value() != migpower::place_profiles(model, reversed).has_value()) {
    broken("place_profiles depends on the order", model.key);
  }
  if (!starts) return;
  if (starts->size() != names.size()) broken("place_profiles gave the wrong count", model.key);
  std::vector<bool> used(static_cast<std::size_t>(model.compute_slices), false);
  int memory = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const auto* profile = model.find_profile(names[i]);
    if (profile == nullptr) broken("placed an unknown profile", names[i]);
    const int start = (*starts)[i];
    if (std::find(profile->starts.begin(), profile->starts.end(), start) == profile->starts.end()) {
      broken("placed at a start the profile does not allow", names[i]);
    }
    for (int s = start; s < start + profile->compute_slices; ++s) {
      if (s < 0 || s >= model.compute_slices || used[static_cast<std::size_t>(s)]) {
        broken("placements overlap or leave the card", names[i]);
      }
      used[static_cast<std::size_t>(s)] = true;
    }
    memory += profile->memory_slices;
  }
  if (memory > model.memory_slices) broken("placed more memory than the card has", model.key);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool keys_found = [] {
    for (const GpuModel& model : migpower::gpu_catalog()) {
      if (migpower::find_gpu_model(model.key) != &model) broken("key not found", model.key);
    }
    return true;
  }();
  (void)keys_found;
  if (size == 0) return 0;
  const auto catalog = migpower::gpu_catalog();
  const GpuModel& model = catalog[data[0] % catalog.size()];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  std::vector<std::string> names;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    names.emplace_back(text.substr(begin, end - begin));
    check_name(names.back());
    begin = end + 1;
  }
  // The search is exponential in the count; a card holds at most 7 instances anyway.
  if (names.size() <= 12) check_placement(model, names);
  return 0;
}
