#include "model/column_dots.hpp"

#include <cstring>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MIGPOWER_HAVE_AVX2_PATH 1
#endif

namespace migpower {
namespace {

// Up to six columns at a time: 7 loads per 6 multiply-adds, and 6 independent sums hide the
// adds' latency; 6 sums plus the shared column fit the 16 vector registers of SSE2 and AVX2.
constexpr int kTile = 6;

// Portable path: two doubles per vector (one SSE2 register on x86-64, NEON on ARM). Sums per
// lane keep the summation order fixed, so results do not change from run to run.
using Pair = double __attribute__((vector_size(16)));

inline Pair load_pair(const double* p) {
  Pair v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <int T>
void tile_generic(const double* u, const double* v, std::size_t length, std::size_t stride,
                  double* out) {
  Pair s[T] = {};
  for (std::size_t r = 0; r < length; r += 2) {
    const Pair x = load_pair(u + r);
    for (int t = 0; t < T; ++t) s[t] += x * load_pair(v + static_cast<std::size_t>(t) * stride + r);
  }
  for (int t = 0; t < T; ++t) out[t] += s[t][0] + s[t][1];
}

void dots_generic(const double* u, const double* v, std::size_t count, std::size_t length,
                  std::size_t stride, double* out) {
  std::size_t b = 0;
  for (; b + kTile <= count; b += kTile)
    tile_generic<kTile>(u, v + b * stride, length, stride, out + b);
  switch (count - b) {
    case 5:
      tile_generic<5>(u, v + b * stride, length, stride, out + b);
      break;
    case 4:
      tile_generic<4>(u, v + b * stride, length, stride, out + b);
      break;
    case 3:
      tile_generic<3>(u, v + b * stride, length, stride, out + b);
      break;
    case 2:
      tile_generic<2>(u, v + b * stride, length, stride, out + b);
      break;
    case 1:
      tile_generic<1>(u, v + b * stride, length, stride, out + b);
      break;
    default:
      break;
  }
}

#ifdef MIGPOWER_HAVE_AVX2_PATH
// Four doubles per register and fused multiply-adds: twice the work per instruction. Compiled
// for AVX2 in this function only; used only when the CPU reports AVX2 and FMA.
template <int T>
__attribute__((target("avx2,fma"))) void tile_avx2(const double* u, const double* v,
                                                   std::size_t length, std::size_t stride,
                                                   double* out) {
  __m256d s[T];
  for (int t = 0; t < T; ++t) s[t] = _mm256_setzero_pd();
  for (std::size_t r = 0; r < length; r += 4) {
    const __m256d x = _mm256_loadu_pd(u + r);
    for (int t = 0; t < T; ++t) {
      s[t] =
          _mm256_fmadd_pd(x, _mm256_loadu_pd(v + static_cast<std::size_t>(t) * stride + r), s[t]);
    }
  }
  for (int t = 0; t < T; ++t) {
    const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(s[t]), _mm256_extractf128_pd(s[t], 1));
    out[t] += _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
  }
}

__attribute__((target("avx2,fma"))) void dots_avx2(const double* u, const double* v,
                                                   std::size_t count, std::size_t length,
                                                   std::size_t stride, double* out) {
  std::size_t b = 0;
  for (; b + kTile <= count; b += kTile)
    tile_avx2<kTile>(u, v + b * stride, length, stride, out + b);
  switch (count - b) {
    case 5:
      tile_avx2<5>(u, v + b * stride, length, stride, out + b);
      break;
    case 4:
      tile_avx2<4>(u, v + b * stride, length, stride, out + b);
      break;
    case 3:
      tile_avx2<3>(u, v + b * stride, length, stride, out + b);
      break;
    case 2:
      tile_avx2<2>(u, v + b * stride, length, stride, out + b);
      break;
    case 1:
      tile_avx2<1>(u, v + b * stride, length, stride, out + b);
      break;
    default:
      break;
  }
}
#endif

using DotsFunction = void (*)(const double*, const double*, std::size_t, std::size_t, std::size_t,
                              double*);

DotsFunction pick_dots() {
#ifdef MIGPOWER_HAVE_AVX2_PATH
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return dots_avx2;
#endif
  return dots_generic;
}

}  // namespace

void add_column_dots(const double* u, const double* v, std::size_t count, std::size_t length,
                     std::size_t stride, double* out) {
  static const DotsFunction dots = pick_dots();
  dots(u, v, count, length, stride, out);
}

}  // namespace migpower
