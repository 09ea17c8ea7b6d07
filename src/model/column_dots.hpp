#pragma once

#include <cstddef>

namespace migpower {

// Row counts passed to add_column_dots must be a multiple of this (pad with zeros).
inline constexpr std::size_t kColumnDotsRowMultiple = 4;

// The inner loop of every Gram matrix the least-squares models build: dot products of one
// column with a run of neighbouring columns of a column-major block, all in one sweep so the
// first column is read once per run. out[b] += Σ_{r < length} u[r] · v[b·stride + r] for b in
// [0, count). `length` must be a multiple of kColumnDotsRowMultiple; columns need no alignment.
// Uses AVX2 and FMA where the CPU has them (checked once, at run time), else SSE2.
void add_column_dots(const double* u, const double* v, std::size_t count, std::size_t length,
                     std::size_t stride, double* out);

}  // namespace migpower
