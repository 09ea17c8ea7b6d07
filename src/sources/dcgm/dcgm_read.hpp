// Reading from DCGM: the one latest-values call that discovery and every tick go through, and what
// a returned value holds (a number, a text, or missing with the reason), and which card it is for.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "sources/dcgm/dcgm_state.hpp"

namespace migpower::dcgm_source {

// Reads `fields` of `entities` into s.values; returns the call's code.
dcgm::Return read_latest(State& s, std::vector<dcgm::EntityPair>& entities,
                         std::vector<unsigned short>& fields, unsigned flags);

// A value as a number, or nullopt with the reason in `problem`: DCGM's blank sentinels, a bad
// status, a type that is not a number, or a negative reading are all missing, never 0.
[[nodiscard]] std::optional<double> numeric(const dcgm::FieldValue& value, std::string& problem);

// A string value, or empty when DCGM has none.
[[nodiscard]] std::string text(const dcgm::FieldValue& value);

// The index in s.cards of the GPU a value is for; none for another entity or an unknown GPU.
[[nodiscard]] std::optional<std::size_t> find_card(const State& s, const dcgm::FieldValue& value);

}  // namespace migpower::dcgm_source
