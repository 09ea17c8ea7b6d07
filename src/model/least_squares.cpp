#include "model/least_squares.hpp"

#include <Eigen/Cholesky>
#include <Eigen/QR>
#include <cmath>
#include <vector>

namespace migpower {
namespace {

// A column whose spread is below this fraction of its magnitude is constant up to rounding (the
// centered sums of a constant column are rounding noise, not variance).
constexpr double kConstantColumn = 1e-10;
// Pivots below this fraction of the largest are rank deficiency: the normal equations square
// the columns' condition number, so this admits columns about 1e5 from collinear.
constexpr double kRankThreshold = 1e-11;

}  // namespace

AffineFit solve_least_squares(const NormalEquations& eq, double lambda) {
  const Eigen::Index p = eq.scatter.rows();
  const auto n = static_cast<double>(eq.rows);
  // Standardize the columns that vary; the others are left out (coefficient 0).
  std::vector<Eigen::Index> varying;
  Eigen::VectorXd scale = Eigen::VectorXd::Ones(p);
  for (Eigen::Index j = 0; j < p; ++j) {
    const double variance = eq.scatter(j, j) / n;
    const double magnitude = eq.mean[j] * eq.mean[j] + variance;
    if (variance > kConstantColumn * magnitude && variance > 0.0) {
      varying.push_back(j);
      scale[j] = std::sqrt(variance);
    }
  }
  const auto m = static_cast<Eigen::Index>(varying.size());
  Eigen::MatrixXd a(m, m);
  Eigen::VectorXd b(m);
  for (Eigen::Index s = 0; s < m; ++s) {
    const Eigen::Index js = varying[static_cast<std::size_t>(s)];
    for (Eigen::Index t = 0; t < m; ++t) {
      const Eigen::Index jt = varying[static_cast<std::size_t>(t)];
      a(s, t) = eq.scatter(js, jt) / (scale[js] * scale[jt]);
    }
    b[s] = eq.cross[js] / scale[js];
  }

  Eigen::VectorXd w(m);
  if (m > 0) {
    bool solved = false;
    if (lambda > 0.0) {
      a.diagonal().array() += lambda;
      const Eigen::LLT<Eigen::MatrixXd> llt(a);
      if (llt.info() == Eigen::Success) {
        w = llt.solve(b);
        solved = w.allFinite();
      }
    }
    if (!solved) {  // ordinary least squares, or a ridge too small to make the matrix definite
      Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod;
      cod.setThreshold(kRankThreshold);
      cod.compute(a);
      w = cod.solve(b);
    }
  }

  AffineFit fit;
  fit.coefficients = Eigen::VectorXd::Zero(p);
  for (Eigen::Index s = 0; s < m; ++s) {
    const Eigen::Index j = varying[static_cast<std::size_t>(s)];
    fit.coefficients[j] = w[s] / scale[j];
  }
  fit.intercept = eq.y_mean - fit.coefficients.dot(eq.mean);
  return fit;
}

}  // namespace migpower
