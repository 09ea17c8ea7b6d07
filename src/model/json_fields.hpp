#pragma once

#include <cstddef>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace migpower {

// Typed reads of JSON objects whose errors name the field by its path, e.g.
// "parameters.coefficients[3]: expected a finite number, found \"x\"". `where` is the path of
// `object` itself. All throw InputError.

// The object at `where`, or an error that it is not one.
const nlohmann::json& require_object(const nlohmann::json& value, const std::string& where);
// Errors on a key not in `known` (a typo should not be silently ignored).
void reject_unknown_keys(const nlohmann::json& object,
                         std::initializer_list<std::string_view> known, const std::string& where);
[[nodiscard]] const nlohmann::json& required_field(const nlohmann::json& object,
                                                   std::string_view key, const std::string& where);
[[nodiscard]] double finite_number_field(const nlohmann::json& object, std::string_view key,
                                         const std::string& where);
[[nodiscard]] std::string string_field(const nlohmann::json& object, std::string_view key,
                                       const std::string& where);
[[nodiscard]] std::size_t count_field(const nlohmann::json& object, std::string_view key,
                                      const std::string& where);
// An array of finite numbers; when `expected_size` is given, of exactly that many.
[[nodiscard]] std::vector<double> number_array_field(const nlohmann::json& object,
                                                     std::string_view key, const std::string& where,
                                                     std::size_t expected_size = SIZE_MAX);
[[nodiscard]] std::vector<std::string> string_array_field(const nlohmann::json& object,
                                                          std::string_view key,
                                                          const std::string& where);

// A value as it appears in a message, cut short when long.
[[nodiscard]] std::string json_excerpt(const nlohmann::json& value);

}  // namespace migpower
