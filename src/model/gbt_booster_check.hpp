#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>

namespace migpower {

// Checks the structure of a booster saved as XGBoost 1.7 JSON before XGBoost reads it: XGBoost
// trusts counts and child indices in the file, and a corrupted one crashes or hangs it (a fuzzer
// found a missing num_trees, a repeated tree id and a cycle of children). Throws InputError naming
// the field; accepts what migpower's own gbt writes (a gbtree of numeric splits, no categories).
void check_booster_json(const nlohmann::json& booster, std::size_t feature_count,
                        const std::string& where);

}  // namespace migpower
