#include "tenants/device_directory.hpp"

#include <charconv>
#include <utility>

namespace migpower::tenants {
namespace {

// The whole of `text` as a non-negative decimal, or nullopt.
std::optional<std::size_t> parse_index(std::string_view text) {
  std::size_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || ptr != end) return std::nullopt;
  return value;
}

// Drops a time-slicing replica suffix: "<id>::<n>" (NVIDIA's plugin), "<id>/vgpu<n>" (GKE's).
std::string_view without_replica(std::string_view id) {
  if (const auto colons = id.find("::"); colons != std::string_view::npos) {
    id = id.substr(0, colons);
  }
  if (const auto vgpu = id.find("/vgpu"); vgpu != std::string_view::npos) id = id.substr(0, vgpu);
  return id;
}

}  // namespace

void DeviceDirectory::replace(DeviceDirectoryContents contents) {
  std::map<std::string, InstanceKey, std::less<>> mig_devices;
  for (auto& device : contents.mig_devices) {
    mig_devices.insert_or_assign(std::move(device.mig_uuid), std::move(device.instance));
  }
  const std::lock_guard lock(mutex_);
  mig_devices_ = std::move(mig_devices);
  cards_ = std::move(contents.cards);
  ++version_;
}

std::optional<InstanceKey> DeviceDirectory::mig_device(std::string_view mig_uuid) const {
  const std::lock_guard lock(mutex_);
  const auto found = mig_devices_.find(mig_uuid);
  if (found == mig_devices_.end()) return std::nullopt;
  return found->second;
}

std::optional<std::string> DeviceDirectory::card_at_index(std::size_t index) const {
  const std::lock_guard lock(mutex_);
  if (index >= cards_.size()) return std::nullopt;
  return cards_[index];
}

bool DeviceDirectory::empty() const {
  const std::lock_guard lock(mutex_);
  return mig_devices_.empty() && cards_.empty();
}

std::uint64_t DeviceDirectory::version() const {
  const std::lock_guard lock(mutex_);
  return version_;
}

DeviceTarget parse_device_id(std::string_view id, const DeviceDirectory* directory) {
  DeviceTarget target;
  id = without_replica(id);
  constexpr std::string_view kLegacyMig = "MIG-GPU-";
  constexpr std::string_view kMig = "MIG-";
  constexpr std::string_view kGpu = "GPU-";
  constexpr std::string_view kGke = "nvidia";
  if (id.starts_with(kLegacyMig)) {
    // MIG-GPU-<card uuid>/<GPU_I_ID>/<CI id>
    const std::string_view rest = id.substr(kMig.size());
    const auto slash = rest.find('/');
    const auto second = slash == std::string_view::npos ? slash : rest.find('/', slash + 1);
    if (second != std::string_view::npos) {
      const auto gi = parse_index(rest.substr(slash + 1, second - slash - 1));
      if (gi && parse_index(rest.substr(second + 1))) {
        target.instance = InstanceKey{std::string(rest.substr(0, slash)), static_cast<int>(*gi)};
      }
    }
  } else if (id.starts_with(kMig)) {
    target.mig_uuid = std::string(id);
    if (directory != nullptr) target.instance = directory->mig_device(id);
  } else if (id.starts_with(kGpu)) {
    target.card = std::string(id);
  } else if (id.starts_with(kGke)) {
    // nvidia<index>/gi<GPU_I_ID>, or nvidia<index> for a whole card.
    const std::string_view rest = id.substr(kGke.size());
    const auto slash = rest.find("/gi");
    const auto index = parse_index(rest.substr(0, slash));
    const auto card =
        index && directory != nullptr ? directory->card_at_index(*index) : std::nullopt;
    if (card && slash == std::string_view::npos) {
      target.card = *card;
    } else if (card) {
      if (const auto gi = parse_index(rest.substr(slash + 3))) {
        target.instance = InstanceKey{*card, static_cast<int>(*gi)};
      }
    }
  } else if (const auto index = parse_index(id); index && directory != nullptr) {
    if (auto card = directory->card_at_index(*index)) target.card = std::move(*card);
  }
  return target;
}

}  // namespace migpower::tenants
