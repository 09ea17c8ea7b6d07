#pragma once

#include <Eigen/Core>

#include "model/normal_equations.hpp"

namespace migpower {

// y ≈ intercept + coefficientsᵀ·x, in the columns' own units.
struct AffineFit {
  double intercept = 0.0;
  Eigen::VectorXd coefficients;
};

// Solves least squares from its normal equations, on standardized columns (zero mean, unit
// variance) so that conditioning and the penalty do not depend on the columns' units; the
// intercept is never penalized. A column that does not vary gets coefficient 0.
//   lambda == 0: ordinary least squares. Collinear or redundant columns do not fail: a complete
//                orthogonal decomposition gives the minimum-norm solution, so identical columns
//                share their weight equally.
//   lambda > 0:  ridge, minimizing Σ(y − ŷ)² + lambda·‖w‖² over the standardized weights w
//                (scikit-learn's Ridge(alpha=lambda) on StandardScaler'd columns).
[[nodiscard]] AffineFit solve_least_squares(const NormalEquations& eq, double lambda);

}  // namespace migpower
