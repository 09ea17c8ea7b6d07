// The latest-values read and the decoding of a FieldValue (see dcgm_read.hpp): the one place that
// knows DCGM's statuses, blank sentinels and field types.
#include "sources/dcgm/dcgm_read.hpp"

#include <cmath>
#include <cstring>
#include <string_view>

namespace migpower::dcgm_source {

using dcgm::EntityPair;
using dcgm::FieldValue;
using dcgm::Return;

Return read_latest(State& s, std::vector<EntityPair>& entities, std::vector<unsigned short>& fields,
                   unsigned flags) {
  s.values.resize(entities.size() * fields.size());
  if (s.values.empty()) return dcgm::kOk;
  for (FieldValue& value : s.values) {
    value.version = dcgm::kFieldValueVersion;
    value.status = dcgm::kNoData;  // whatever DCGM leaves unfilled reads as missing
    value.field_type = 0;
  }
  return s.fn.entities_get_latest_values(
      s.handle, entities.data(), static_cast<unsigned>(entities.size()), fields.data(),
      static_cast<unsigned>(fields.size()), flags, s.values.data());
}

std::optional<double> numeric(const FieldValue& value, std::string& problem) {
  if (value.status != dcgm::kOk) {
    problem = std::string(dcgm::describe(value.status)) + " (DCGM status " +
              std::to_string(value.status) + ")";
    return std::nullopt;
  }
  double number = 0.0;
  if (value.field_type == dcgm::kTypeDouble) {
    if (dcgm::is_blank(value.value.dbl)) {
      problem = std::string(dcgm::describe_blank(value.value.dbl));
      return std::nullopt;
    }
    number = value.value.dbl;
  } else if (value.field_type == dcgm::kTypeInt64) {
    if (dcgm::is_blank(value.value.i64)) {
      problem = std::string(dcgm::describe_blank(value.value.i64));
      return std::nullopt;
    }
    number = static_cast<double>(value.value.i64);
  } else {
    problem = "unexpected field type '" + std::string(1, static_cast<char>(value.field_type)) + "'";
    return std::nullopt;
  }
  if (!std::isfinite(number) || number < 0.0) {
    problem = "impossible value " + std::to_string(number);
    return std::nullopt;
  }
  problem.clear();
  return number;
}

std::string text(const FieldValue& value) {
  if (value.status != dcgm::kOk || value.field_type != dcgm::kTypeString) return {};
  const std::string_view s(value.value.str, ::strnlen(value.value.str, dcgm::kMaxStrLength));
  return dcgm::is_blank(s) ? std::string() : std::string(s);
}

std::optional<std::size_t> find_card(const State& s, const FieldValue& value) {
  if (value.entity_group != dcgm::kEntityGpu) return std::nullopt;
  for (std::size_t i = 0; i < s.cards.size(); ++i) {
    if (s.cards[i].gpu_id == value.entity_id) return i;
  }
  return std::nullopt;
}

}  // namespace migpower::dcgm_source
