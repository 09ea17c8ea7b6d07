#pragma once

#include <nlohmann/json.hpp>

#include "ledger/bucket_rows.hpp"

namespace migpower {

// A batch as JSON, for the spool that holds batches while a fleet database is away. Reading
// throws InputError naming the field.
[[nodiscard]] nlohmann::json batch_to_json(const BucketBatch& batch);
[[nodiscard]] BucketBatch batch_from_json(const nlohmann::json& json);

}  // namespace migpower
