#pragma once

#include <span>

namespace migpower {

// Splits `total` (>= 0) in proportion to `weights`, writing out[i] >= 0 with sum(out) == total
// to rounding: the last part with a positive weight takes the remainder, so the sum is exact up
// to one rounding. Negative or non-finite weights count as 0. When no weight is positive the
// split follows `fallback` (its weights must not all be 0 unless total is 0).
// All spans have the same size; out may alias neither input.
void distribute(double total, std::span<const double> weights, std::span<const double> fallback,
                std::span<double> out);

// The sum of positive, finite weights (what distribute() splits by).
[[nodiscard]] double positive_sum(std::span<const double> weights);

}  // namespace migpower
