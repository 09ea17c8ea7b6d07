#include "model/json_fields.hpp"

#include <cmath>
#include <cstdint>

#include "core/error.hpp"

namespace migpower {
namespace {

std::string path(const std::string& where, std::string_view key) {
  return where.empty() ? std::string(key) : where + "." + std::string(key);
}

[[noreturn]] void fail(const std::string& field, const std::string& expected,
                       const nlohmann::json& found) {
  throw InputError("field '" + field + "': expected " + expected + ", found " +
                   json_excerpt(found));
}

}  // namespace

std::string json_excerpt(const nlohmann::json& value) {
  constexpr std::size_t kMax = 40;
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

const nlohmann::json& require_object(const nlohmann::json& value, const std::string& where) {
  if (!value.is_object()) fail(where.empty() ? "(top level)" : where, "an object", value);
  return value;
}

void reject_unknown_keys(const nlohmann::json& object,
                         std::initializer_list<std::string_view> known, const std::string& where) {
  for (const auto& item : object.items()) {
    bool found = false;
    for (const auto key : known) found = found || item.key() == key;
    if (!found) {
      std::string names;
      for (const auto key : known) {
        if (!names.empty()) names += ", ";
        names += key;
      }
      throw InputError("field '" + path(where, item.key()) + "': unknown" +
                       (names.empty() ? std::string(" (none are accepted)") : "; known: " + names));
    }
  }
}

const nlohmann::json& required_field(const nlohmann::json& object, std::string_view key,
                                     const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) throw InputError("field '" + path(where, key) + "': missing");
  return *it;
}

double finite_number_field(const nlohmann::json& object, std::string_view key,
                           const std::string& where) {
  const auto& value = required_field(object, key, where);
  if (!value.is_number() || !std::isfinite(value.get<double>())) {
    fail(path(where, key), "a finite number", value);
  }
  return value.get<double>();
}

std::string string_field(const nlohmann::json& object, std::string_view key,
                         const std::string& where) {
  const auto& value = required_field(object, key, where);
  if (!value.is_string()) fail(path(where, key), "a string", value);
  return value.get<std::string>();
}

std::size_t count_field(const nlohmann::json& object, std::string_view key,
                        const std::string& where) {
  const auto& value = required_field(object, key, where);
  if (!value.is_number_unsigned()) fail(path(where, key), "a whole number >= 0", value);
  return value.get<std::size_t>();
}

std::vector<double> number_array_field(const nlohmann::json& object, std::string_view key,
                                       const std::string& where, std::size_t expected_size) {
  const auto& value = required_field(object, key, where);
  const std::string field = path(where, key);
  if (!value.is_array()) fail(field, "an array of numbers", value);
  if (expected_size != SIZE_MAX && value.size() != expected_size) {
    throw InputError("field '" + field + "': expected " + std::to_string(expected_size) +
                     " numbers, found " + std::to_string(value.size()));
  }
  std::vector<double> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto& item = value[i];
    if (!item.is_number() || !std::isfinite(item.get<double>())) {
      fail(field + "[" + std::to_string(i) + "]", "a finite number", item);
    }
    out.push_back(item.get<double>());
  }
  return out;
}

std::vector<std::string> string_array_field(const nlohmann::json& object, std::string_view key,
                                            const std::string& where) {
  const auto& value = required_field(object, key, where);
  const std::string field = path(where, key);
  if (!value.is_array()) fail(field, "an array of strings", value);
  std::vector<std::string> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) fail(field + "[" + std::to_string(i) + "]", "a string", value[i]);
    out.push_back(value[i].get<std::string>());
  }
  return out;
}

}  // namespace migpower
