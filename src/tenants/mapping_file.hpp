#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "tenants/tenant.hpp"

namespace migpower::tenants {

// The static mapping: instance -> tenant, for what neither the kubelet nor a process names
// (docs/tenants.md#mapping-file). One line per entry; '#' starts a comment; blank lines are
// skipped; fields are separated by spaces or tabs:
//   GPU-<card uuid>  <GPU_I_ID>  <tenant>    one GPU instance of a card
//   GPU-<card uuid>  *           <tenant>    every instance of the card not named on its own
//   MIG-<MIG device uuid>        <tenant>    the GPU instance holding that MIG device
// A tenant is one word (no spaces, no '#'). A line that is none of these, or a key given twice,
// is an error naming the file, line and column.
struct Mapping {
  std::map<InstanceKey, std::string> instances;
  std::map<std::string, std::string, std::less<>> cards;
  std::map<std::string, std::string, std::less<>> mig_devices;
  [[nodiscard]] std::size_t size() const {
    return instances.size() + cards.size() + mig_devices.size();
  }
  // The tenant of an instance: by one of its MIG device UUIDs first, then by (card, GPU_I_ID),
  // then by the card's '*' line.
  [[nodiscard]] std::optional<std::string> find(const InstanceKey& instance,
                                                std::span<const std::string> mig_uuids) const;
};

// Parses a mapping; `name` is the file name errors give. Throws LocatedError.
[[nodiscard]] Mapping parse_mapping(std::string_view text, const std::string& name);

// A mapping file reloaded when it changes (its modification time, size or inode): a reload that
// fails keeps the mapping last read, so an operator's typo never drops every tenant.
class MappingFile {
 public:
  explicit MappingFile(std::filesystem::path path);

  // Reads the file again if it changed since the last call. Returns true when it was read (and
  // parsed or refused); `error` is empty on success, else why (the file is gone, unreadable or
  // invalid) and the previous mapping stays.
  bool reload_if_changed(std::string& error);

  [[nodiscard]] const Mapping& mapping() const { return mapping_; }
  [[nodiscard]] bool loaded() const { return loaded_; }
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  struct Stamp {
    std::filesystem::file_time_type modified{};
    std::uintmax_t size = 0;
    unsigned long long inode = 0;
    bool exists = false;
    bool operator==(const Stamp&) const = default;
  };
  [[nodiscard]] Stamp stamp() const;

  std::filesystem::path path_;
  Mapping mapping_;
  std::optional<Stamp> last_;
  bool loaded_ = false;
};

}  // namespace migpower::tenants
