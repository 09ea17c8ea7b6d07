#include "model/normal_equations.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/column_dots.hpp"

// Block sums index with std::size_t; every index here stays below a size read from the matrix's
// own Eigen::Index rows() or cols(), so converting back to Eigen::Index cannot narrow.
// NOLINTBEGIN(bugprone-narrowing-conversions)
namespace migpower {
namespace {

void check_sizes(const FeatureMatrix& x, const Eigen::VectorXd& y) {
  if (x.rows() != y.size()) {
    throw InputError("training data: " + std::to_string(x.rows()) + " feature rows but " +
                     std::to_string(y.size()) + " targets");
  }
  if (x.rows() == 0 || x.cols() == 0) throw InputError("training data: no rows or no features");
}

// A NaN or infinity in the data makes the sums non-finite, so the data is checked only when
// they are (a separate pass would cost as much as the sums): this finds where it is.
[[noreturn]] void report_non_finite(const FeatureMatrix& x, const Eigen::VectorXd& y) {
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    if (!std::isfinite(y[r])) {
      throw InputError("training data: row " + std::to_string(r) + ": target is not finite");
    }
    for (Eigen::Index c = 0; c < x.cols(); ++c) {
      if (!std::isfinite(x(r, c))) {
        throw InputError("training data: row " + std::to_string(r) + ", feature " +
                         std::to_string(c) + ": not finite");
      }
    }
  }
  throw InputError("training data: values too large: their sums of squares overflow");
}

// Sums of column products over blocks of rows. Each block is copied into a column-major buffer
// (column 0 all ones, so its dots are plain sums) that stays in the L2 cache while every needed
// dot product of it is taken; column a is multiplied with columns [first_partner[a], columns).
class BlockMoments {
 public:
  BlockMoments(std::size_t columns, std::vector<std::size_t> first_partner)
      : columns_(columns),
        // About 256 KiB of block: big enough that a dot's setup is paid over many rows.
        rows_(std::clamp<std::size_t>(
            32768 / columns / kColumnDotsRowMultiple * kColumnDotsRowMultiple, 16, 1024)),
        // One cache line more than the rows, so that the columns, which a row's copy writes
        // all at once, do not fall into the same cache set (as a stride of 8 KiB would).
        stride_(rows_ + 8),
        first_partner_(std::move(first_partner)),
        block_(columns_ * stride_, 0.0),
        sums_(columns_ * columns_, 0.0) {}

  [[nodiscard]] std::size_t block_rows() const { return rows_; }
  [[nodiscard]] double* column(std::size_t c) { return block_.data() + c * stride_; }

  // Takes the first `rows` rows of the block (the rest, up to an even count, are zeroed).
  void accumulate(std::size_t rows) {
    std::fill_n(column(0), rows, 1.0);
    const std::size_t length =
        (rows + kColumnDotsRowMultiple - 1) / kColumnDotsRowMultiple * kColumnDotsRowMultiple;
    for (std::size_t c = 0; c < columns_ && length != rows; ++c) {
      std::fill(column(c) + rows, column(c) + length, 0.0);
    }
    for (std::size_t a = 0; a < columns_; ++a) {
      const std::size_t first = first_partner_[a];
      add_column_dots(column(a), column(first), columns_ - first, length, stride_,
                      sums_.data() + a * columns_ + first);
    }
  }

  // Σ column a · column b, for a partner pair (a ≤ b).
  [[nodiscard]] double sum(std::size_t a, std::size_t b) const { return sums_[a * columns_ + b]; }
  [[nodiscard]] bool all_finite() const {
    return std::all_of(sums_.begin(), sums_.end(), [](double s) { return std::isfinite(s); });
  }

 private:
  std::size_t columns_;
  std::size_t rows_;
  std::size_t stride_;
  std::vector<std::size_t> first_partner_;
  std::vector<double> block_;
  std::vector<double> sums_;
};

// The mean of the first rows: subtracting it before summing keeps the sums' cancellation small
// when a column's mean is large against its spread.
double leading_mean(const Eigen::VectorXd& v) {
  const Eigen::Index n = std::min<Eigen::Index>(v.size(), 1024);
  return v.head(n).mean();
}

}  // namespace

NormalEquations linear_normal_equations(const FeatureMatrix& x, const Eigen::VectorXd& y) {
  check_sizes(x, y);
  const auto n = static_cast<std::size_t>(x.rows());
  const auto p = static_cast<std::size_t>(x.cols());
  const std::size_t yc = p + 1;  // columns: 1, x_0 … x_{p−1}, y
  std::vector<std::size_t> first(p + 2);
  for (std::size_t a = 0; a < first.size(); ++a) first[a] = a;
  BlockMoments moments(p + 2, std::move(first));

  const Eigen::VectorXd x_shift =
      x.topRows(std::min<Eigen::Index>(x.rows(), 1024)).colwise().mean().transpose();
  const double y_shift = leading_mean(y);
  for (std::size_t start = 0; start < n; start += moments.block_rows()) {
    const std::size_t rows = std::min(moments.block_rows(), n - start);
    for (std::size_t r = 0; r < rows; ++r) {
      const double* row = x.data() + (start + r) * p;
      for (std::size_t j = 0; j < p; ++j) moments.column(1 + j)[r] = row[j] - x_shift[j];
      moments.column(yc)[r] = y[start + r] - y_shift;
    }
    moments.accumulate(rows);
  }

  if (!moments.all_finite()) report_non_finite(x, y);
  NormalEquations eq;
  eq.rows = n;
  const double count = moments.sum(0, 0);
  eq.mean.resize(p);
  eq.scatter.resize(p, p);
  eq.cross.resize(p);
  for (std::size_t j = 0; j < p; ++j) {
    const double sj = moments.sum(0, 1 + j);
    eq.mean[j] = x_shift[j] + sj / count;
    for (std::size_t k = j; k < p; ++k) {
      eq.scatter(j, k) = eq.scatter(k, j) =
          moments.sum(1 + j, 1 + k) - sj * moments.sum(0, 1 + k) / count;
    }
    eq.cross[j] = moments.sum(1 + j, yc) - sj * moments.sum(0, yc) / count;
  }
  eq.y_mean = y_shift + moments.sum(0, yc) / count;
  eq.y_scatter = moments.sum(yc, yc) - moments.sum(0, yc) * moments.sum(0, yc) / count;
  return eq;
}

NormalEquations poly2_normal_equations(const FeatureMatrix& x, const Eigen::VectorXd& y) {
  check_sizes(x, y);
  const auto n = static_cast<std::size_t>(x.rows());
  const auto p = static_cast<std::size_t>(x.cols());
  const std::size_t pairs = p * (p + 1) / 2;
  // Columns: 1, x_0 … x_{p−1}, the products x_i·x_j (i ≤ j), y. A moment's indices sorted,
  // i ≤ j ≤ k ≤ l, it is summed once: x_i·x_j·x_k·x_l as (x_i·x_j)·(x_k·x_l), x_i·x_j·x_k as
  // x_i·(x_j·x_k). So x_i and x_?·x_i need only the products from x_i·x_i on, a contiguous run.
  const std::size_t xc = 1;
  const std::size_t qc = 1 + p;
  const std::size_t yc = qc + pairs;
  const std::size_t columns = yc + 1;
  std::vector<std::size_t> first(columns);
  first[0] = 0;
  for (std::size_t i = 0; i < p; ++i) {
    first[xc + i] = qc + pair_index(i, i, p);
    for (std::size_t j = i; j < p; ++j) first[qc + pair_index(i, j, p)] = qc + pair_index(j, j, p);
  }
  first[yc] = yc;
  BlockMoments moments(columns, std::move(first));

  const double y_shift = leading_mean(y);
  for (std::size_t start = 0; start < n; start += moments.block_rows()) {
    const std::size_t rows = std::min(moments.block_rows(), n - start);
    for (std::size_t r = 0; r < rows; ++r) {
      const double* row = x.data() + (start + r) * p;
      for (std::size_t i = 0; i < p; ++i) moments.column(xc + i)[r] = row[i];
      moments.column(yc)[r] = y[start + r] - y_shift;
    }
    // Products column by column: contiguous, so the compiler vectorizes them.
    std::size_t q = qc;
    for (std::size_t i = 0; i < p; ++i) {
      const double* xi = moments.column(xc + i);
      for (std::size_t j = i; j < p; ++j, ++q) {
        const double* xj = moments.column(xc + j);
        double* out = moments.column(q);
        for (std::size_t r = 0; r < rows; ++r) out[r] = xi[r] * xj[r];
      }
    }
    moments.accumulate(rows);
  }

  // A monomial of the expansion as its sorted variable indices (one or two of them).
  struct Monomial {
    std::array<std::size_t, 2> index{};
    std::size_t degree = 0;
    std::size_t column = 0;  // its column in the block
  };
  const std::size_t size = poly2_size(p);
  std::vector<Monomial> monomials(size);
  for (std::size_t i = 0; i < p; ++i) monomials[i] = {{i, 0}, 1, xc + i};
  for (std::size_t i = 0; i < p; ++i) {
    for (std::size_t j = i; j < p; ++j) {
      const std::size_t k = pair_index(i, j, p);
      monomials[p + k] = {{i, j}, 2, qc + k};
    }
  }
  // Σ of the product of the sorted variables v[0..d).
  const auto moment = [&](const std::array<std::size_t, 4>& v, std::size_t d) {
    switch (d) {
      case 2:
        return moments.sum(0, qc + pair_index(v[0], v[1], p));
      case 3:
        return moments.sum(xc + v[0], qc + pair_index(v[1], v[2], p));
      default:  // 4
        return moments.sum(qc + pair_index(v[0], v[1], p), qc + pair_index(v[2], v[3], p));
    }
  };

  if (!moments.all_finite()) report_non_finite(x, y);
  NormalEquations eq;
  eq.rows = n;
  const double count = moments.sum(0, 0);
  Eigen::VectorXd sums(size);
  for (std::size_t a = 0; a < size; ++a) sums[a] = moments.sum(0, monomials[a].column);
  eq.mean = sums / count;
  eq.scatter.resize(size, size);
  eq.cross.resize(size);
  const double y_sum = moments.sum(0, yc);
  for (std::size_t a = 0; a < size; ++a) {
    const Monomial& ma = monomials[a];
    for (std::size_t b = a; b < size; ++b) {
      const Monomial& mb = monomials[b];
      // Merge the two sorted index lists (each of one or two indices) into one sorted list.
      std::array<std::size_t, 4> v{};
      std::size_t d = 0;
      std::size_t s = 0;
      std::size_t t = 0;
      while (s < ma.degree || t < mb.degree) {
        const bool from_a = t == mb.degree || (s < ma.degree && ma.index[s] <= mb.index[t]);
        v[d++] = from_a ? ma.index[s++] : mb.index[t++];
      }
      eq.scatter(a, b) = eq.scatter(b, a) = moment(v, d) - sums[a] * sums[b] / count;
    }
    eq.cross[a] = moments.sum(ma.column, yc) - sums[a] * y_sum / count;
  }
  eq.y_mean = y_shift + y_sum / count;
  eq.y_scatter = moments.sum(yc, yc) - y_sum * y_sum / count;
  return eq;
}

}  // namespace migpower
// NOLINTEND(bugprone-narrowing-conversions)
