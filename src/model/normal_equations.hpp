#pragma once

#include <Eigen/Core>
#include <cstddef>

#include "model/power_model.hpp"

namespace migpower {

// What least squares needs of a data set, gathered in one pass: the column means and the
// centered cross products. Centered, so an intercept is free and standardization is a rescale.
struct NormalEquations {
  std::size_t rows = 0;
  Eigen::VectorXd mean;  // per column
  double y_mean = 0.0;
  Eigen::MatrixXd scatter;  // Σ (x − mean)(x − mean)ᵀ, full symmetric
  Eigen::VectorXd cross;    // Σ (x − mean)(y − y_mean)
  double y_scatter = 0.0;   // Σ (y − y_mean)²
};

// Normal equations of y on the columns of x. Throws InputError when the sizes disagree or a
// value is not finite (naming its row and column).
[[nodiscard]] NormalEquations linear_normal_equations(const FeatureMatrix& x,
                                                      const Eigen::VectorXd& y);

// Normal equations of y on the degree-2 expansion of x's columns — x_0…x_{p−1}, then x_i·x_j
// for i ≤ j in (i, j) order, as scikit-learn's PolynomialFeatures(2) without its bias column —
// computed without materializing the expanded matrix: the expanded Gram holds only moments of x
// up to degree 4, and each distinct one is summed once (e.g. 1,068 sums per row for 10 columns
// instead of the 2,211 products of a full expanded Gram).
[[nodiscard]] NormalEquations poly2_normal_equations(const FeatureMatrix& x,
                                                     const Eigen::VectorXd& y);

// The expansion's size for p columns, p + p(p+1)/2, and the (i, j) pair's position among the
// products (i ≤ j < p).
[[nodiscard]] constexpr std::size_t poly2_size(std::size_t p) { return p + p * (p + 1) / 2; }
[[nodiscard]] constexpr std::size_t pair_index(std::size_t i, std::size_t j, std::size_t p) {
  return i * p - i * (i - 1) / 2 + (j - i);  // pairs before row i, then the offset in row i
}

}  // namespace migpower
