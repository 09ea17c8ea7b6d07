#include "attribution/reconcile.hpp"

#include <algorithm>
#include <cmath>

namespace migpower {
namespace {

double usable(double w) { return std::isfinite(w) && w > 0.0 ? w : 0.0; }

}  // namespace

double positive_sum(std::span<const double> weights) {
  double sum = 0.0;
  for (double w : weights) sum += usable(w);
  return sum;
}

void distribute(double total, std::span<const double> weights, std::span<const double> fallback,
                std::span<double> out) {
  std::fill(out.begin(), out.end(), 0.0);
  if (!(total > 0.0) || out.empty()) return;
  std::span<const double> by = weights;
  double sum = positive_sum(weights);
  if (!(sum > 0.0) || !std::isfinite(sum)) {
    by = fallback;
    sum = positive_sum(fallback);
    if (!(sum > 0.0) || !std::isfinite(sum)) return;
  }
  std::size_t last = 0;
  double assigned = 0.0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const double w = usable(by[i]);
    if (w == 0.0) continue;
    out[i] = total * (w / sum);
    assigned += out[i];
    last = i;
  }
  // The last positive part absorbs the rounding of the others.
  out[last] = std::max(0.0, total - (assigned - out[last]));
}

}  // namespace migpower
