#include "tenants/mapping_file.hpp"

#include <sys/stat.h>

#include <charconv>
#include <fstream>
#include <sstream>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace migpower::tenants {
namespace {

struct Field {
  std::string_view text;
  std::size_t column = 0;  // 1-based
};

std::vector<Field> fields_of(std::string_view line) {
  std::vector<Field> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    const std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    fields.push_back(Field{line.substr(start, i - start), start + 1});
  }
  return fields;
}

template <typename Map, typename Key>
void insert_once(Map& map, Key key, std::string tenant, std::map<std::string, std::size_t>& seen,
                 const std::string& seen_key, const std::string& name, std::size_t line) {
  if (const auto previous = seen.find(seen_key); previous != seen.end()) {
    throw LocatedError(name, line, "1",
                       migpower::quoted(seen_key) + " is mapped already on line " +
                           std::to_string(previous->second));
  }
  seen.emplace(seen_key, line);
  map.emplace(std::move(key), std::move(tenant));
}

}  // namespace

std::optional<std::string> Mapping::find(const InstanceKey& instance,
                                         std::span<const std::string> mig_uuids) const {
  for (const std::string& mig : mig_uuids) {
    if (const auto found = mig_devices.find(mig); found != mig_devices.end()) return found->second;
  }
  if (const auto found = instances.find(instance); found != instances.end()) return found->second;
  if (const auto found = cards.find(instance.gpu_uuid); found != cards.end()) return found->second;
  return std::nullopt;
}

Mapping parse_mapping(std::string_view text, const std::string& name) {
  Mapping mapping;
  std::map<std::string, std::size_t> seen;  // key -> line, for duplicate errors
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (const auto hash = line.find('#'); hash != std::string_view::npos) {
      line = line.substr(0, hash);
    }
    const auto fields = fields_of(line);
    if (fields.empty()) continue;
    const Field& key = fields[0];
    const auto column = [](const Field& field) { return std::to_string(field.column); };
    if (key.text.starts_with("MIG-")) {
      if (fields.size() != 2) {
        throw LocatedError(name, number, column(key),
                           "a MIG device line is 'MIG-<uuid> <tenant>' (found " +
                               std::to_string(fields.size()) + " fields)");
      }
      insert_once(mapping.mig_devices, std::string(key.text), std::string(fields[1].text), seen,
                  std::string(key.text), name, number);
    } else if (key.text.starts_with("GPU-")) {
      if (fields.size() != 3) {
        throw LocatedError(name, number, column(key),
                           "a card line is 'GPU-<uuid> <GPU_I_ID or *> <tenant>' (found " +
                               std::to_string(fields.size()) + " fields)");
      }
      const Field& id = fields[1];
      std::string tenant(fields[2].text);
      if (id.text == "*") {
        insert_once(mapping.cards, std::string(key.text), std::move(tenant), seen,
                    std::string(key.text) + " *", name, number);
        continue;
      }
      int gi = 0;
      const char* end = id.text.data() + id.text.size();
      const auto [ptr, error] = std::from_chars(id.text.data(), end, gi);
      if (error != std::errc() || ptr != end || gi < 0) {
        throw LocatedError(name, number, column(id),
                           "GPU_I_ID " + migpower::quoted(id.text) + " is not a number or '*'");
      }
      insert_once(mapping.instances, InstanceKey{std::string(key.text), gi}, std::move(tenant),
                  seen, std::string(key.text) + " " + std::to_string(gi), name, number);
    } else {
      throw LocatedError(name, number, column(key),
                         migpower::quoted(key.text) +
                             " is neither a card UUID (GPU-...) nor a MIG device "
                             "UUID (MIG-...)");
    }
  }
  return mapping;
}

MappingFile::MappingFile(std::filesystem::path path) : path_(std::move(path)) {}

MappingFile::Stamp MappingFile::stamp() const {
  Stamp stamp;
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) return stamp;
  std::error_code error;
  stamp.exists = true;
  stamp.modified = std::filesystem::last_write_time(path_, error);
  stamp.size = static_cast<std::uintmax_t>(info.st_size);
  stamp.inode = info.st_ino;
  return stamp;
}

bool MappingFile::reload_if_changed(std::string& error) {
  error.clear();
  const Stamp now = stamp();
  if (last_ && *last_ == now) return false;
  last_ = now;
  if (!now.exists) {
    error = "tenant mapping " + path_.string() + " is missing; keeping the last one read";
    return true;
  }
  std::ifstream file(path_);
  std::ostringstream text;
  text << file.rdbuf();
  if (!file) {
    error = "cannot read tenant mapping " + path_.string() + "; keeping the last one read";
    return true;
  }
  try {
    mapping_ = parse_mapping(text.str(), path_.string());
    loaded_ = true;
  } catch (const InputError& invalid) {
    error = std::string(invalid.what()) + "; keeping the last mapping read";
  }
  return true;
}

}  // namespace migpower::tenants
