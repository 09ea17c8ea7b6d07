#include "model/poly2_model.hpp"

#include <gtest/gtest.h>

#include <Eigen/Cholesky>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/normal_equations.hpp"

namespace migpower {
namespace {

struct Data {
  FeatureMatrix x;
  Eigen::VectorXd y;
};

Data uniform_features(Eigen::Index rows, Eigen::Index columns, unsigned seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Data d{FeatureMatrix(rows, columns), Eigen::VectorXd::Zero(rows)};
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < columns; ++j) d.x(i, j) = unit(random);
  }
  return d;
}

// The degree-2 expansion, materialized as PolynomialFeatures(2) without the bias would.
Eigen::MatrixXd expand(const FeatureMatrix& x) {
  const Eigen::Index p = x.cols();
  Eigen::MatrixXd out(x.rows(), static_cast<Eigen::Index>(poly2_size(static_cast<std::size_t>(p))));
  for (Eigen::Index r = 0; r < x.rows(); ++r) {
    Eigen::Index c = 0;
    for (Eigen::Index i = 0; i < p; ++i) out(r, c++) = x(r, i);
    for (Eigen::Index i = 0; i < p; ++i) {
      for (Eigen::Index j = i; j < p; ++j) out(r, c++) = x(r, i) * x(r, j);
    }
  }
  return out;
}

// y = 1 + x0 − 2·x1 + 3·x0² − x0·x2 + 0.5·x2² + 4·x1·x3
double known_quadratic(const double* x) {
  return 1.0 + x[0] - 2.0 * x[1] + 3.0 * x[0] * x[0] - x[0] * x[2] + 0.5 * x[2] * x[2] +
         4.0 * x[1] * x[3];
}

TEST(Poly2ModelTest, RecoversAKnownQuadratic) {
  Data d = uniform_features(2000, 4, 3);
  for (Eigen::Index i = 0; i < d.x.rows(); ++i) d.y[i] = known_quadratic(d.x.row(i).data());
  Poly2Model model(0.0);
  model.fit(d.x, d.y);
  EXPECT_NEAR(model.intercept(), 1.0, 1e-7);
  const std::vector<double> linear = {1.0, -2.0, 0.0, 0.0};
  for (std::size_t i = 0; i < 4; ++i) EXPECT_NEAR(model.linear()[i], linear[i], 1e-7) << i;
  // Pairs in (i, j) order: 00 01 02 03 11 12 13 22 23 33.
  const std::vector<double> quadratic = {3.0, 0.0, -1.0, 0.0, 0.0, 0.0, 4.0, 0.5, 0.0, 0.0};
  ASSERT_EQ(model.quadratic().size(), quadratic.size());
  for (std::size_t k = 0; k < quadratic.size(); ++k) {
    EXPECT_NEAR(model.quadratic()[k], quadratic[k], 1e-7) << k;
  }
  const std::vector<double> point = {0.3, 0.9, 0.5, 0.1};
  EXPECT_NEAR(model.predict(point), known_quadratic(point.data()), 1e-9);
}

TEST(Poly2ModelTest, NormalEquationsMatchTheMaterializedExpansion) {
  // 5 columns and 1,777 rows: several blocks and an odd remainder.
  Data d = uniform_features(1777, 5, 9);
  std::mt19937_64 random(2);
  std::normal_distribution<double> gauss(0.0, 1.0);
  for (Eigen::Index i = 0; i < d.x.rows(); ++i) d.y[i] = 100.0 + 10.0 * gauss(random);
  const NormalEquations eq = poly2_normal_equations(d.x, d.y);
  const Eigen::MatrixXd e = expand(d.x);
  const Eigen::RowVectorXd mean = e.colwise().mean();
  const Eigen::MatrixXd centered = e.rowwise() - mean;
  const Eigen::MatrixXd scatter = centered.transpose() * centered;
  const Eigen::VectorXd cross = centered.transpose() * (d.y.array() - d.y.mean()).matrix();
  ASSERT_EQ(eq.scatter.rows(), 20);
  EXPECT_LT((eq.mean - mean.transpose()).cwiseAbs().maxCoeff(), 1e-12);
  EXPECT_LT((eq.scatter - scatter).cwiseAbs().maxCoeff(), 1e-9 * scatter.cwiseAbs().maxCoeff());
  EXPECT_LT((eq.cross - cross).cwiseAbs().maxCoeff(), 1e-9 * cross.cwiseAbs().maxCoeff());
  EXPECT_NEAR(eq.y_mean, d.y.mean(), 1e-9);
  EXPECT_EQ(eq.rows, 1777u);
}

TEST(Poly2ModelTest, RidgeMatchesRidgeOnTheMaterializedExpansion) {
  Data d = uniform_features(600, 3, 21);
  std::mt19937_64 random(4);
  std::normal_distribution<double> gauss(0.0, 0.2);
  for (Eigen::Index i = 0; i < d.x.rows(); ++i) {
    d.y[i] = known_quadratic(std::vector<double>{d.x(i, 0), d.x(i, 1), d.x(i, 2), 0.0}.data()) +
             gauss(random);
  }
  const double lambda = 3.0;
  Poly2Model model(lambda);
  model.fit(d.x, d.y);

  const Eigen::MatrixXd e = expand(d.x);
  const Eigen::RowVectorXd mean = e.colwise().mean();
  const Eigen::MatrixXd centered = e.rowwise() - mean;
  const Eigen::RowVectorXd sd =
      (centered.colwise().squaredNorm() / static_cast<double>(e.rows())).cwiseSqrt();
  const Eigen::MatrixXd z = centered.array().rowwise() / sd.array();
  const Eigen::MatrixXd a = z.transpose() * z + lambda * Eigen::MatrixXd::Identity(9, 9);
  const Eigen::VectorXd v = a.ldlt().solve(z.transpose() * (d.y.array() - d.y.mean()).matrix());
  const Eigen::VectorXd w = v.array() / sd.transpose().array();
  for (std::size_t i = 0; i < 3; ++i)
    EXPECT_NEAR(model.linear()[i], w[static_cast<Eigen::Index>(i)], 1e-8);
  for (std::size_t k = 0; k < 6; ++k) {
    EXPECT_NEAR(model.quadratic()[k], w[static_cast<Eigen::Index>(3 + k)], 1e-8);
  }
  EXPECT_NEAR(model.intercept(), d.y.mean() - mean.dot(w), 1e-8);
}

TEST(Poly2ModelTest, ConstantAndDuplicateFeaturesDoNotBreakTheFit) {
  // Like real traces: a pipe never used (always 0) and two features equal on an unthrottled
  // card (x·r and x·r³ with r = 1).
  Data d = uniform_features(500, 2, 8);
  FeatureMatrix x(500, 4);
  x.col(0) = d.x.col(0);
  x.col(1) = d.x.col(0);
  x.col(2).setZero();
  x.col(3) = d.x.col(1);
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    d.y[i] = 5.0 + 20.0 * x(i, 0) + 10.0 * x(i, 0) * x(i, 3);
  }
  for (const double lambda : {0.0, 1e-6}) {
    Poly2Model model(lambda);
    model.fit(x, d.y);
    Eigen::VectorXd predicted;
    model.predict_all(x, predicted);
    EXPECT_LT((predicted - d.y).cwiseAbs().maxCoeff(), 1e-3) << lambda;
  }
}

TEST(Poly2ModelTest, TooFewRowsIsAnInputError) {
  Data d = uniform_features(10, 4, 1);  // 14 expanded terms + intercept need 15 rows
  Poly2Model ols(0.0);
  EXPECT_THROW(ols.fit(d.x, d.y), InputError);
  Poly2Model ridge(1.0);
  EXPECT_NO_THROW(ridge.fit(d.x, d.y));
  EXPECT_THROW(Poly2Model(-1.0), InputError);
}

TEST(Poly2ModelTest, ParametersRoundTripGiveIdenticalPredictions) {
  Data d = uniform_features(400, 3, 12);
  for (Eigen::Index i = 0; i < d.x.rows(); ++i)
    d.y[i] = std::exp(d.x(i, 0)) + d.x(i, 1) * d.x(i, 2);
  Poly2Model model(0.1);
  model.fit(d.x, d.y);
  Poly2Model loaded(0.1);
  loaded.load_parameters(nlohmann::json::parse(model.parameters().dump()));
  for (Eigen::Index i = 0; i < d.x.rows(); ++i) {
    const std::span<const double> row(d.x.row(i).data(), 3);
    EXPECT_EQ(loaded.predict(row), model.predict(row));
  }
}

TEST(Poly2ModelTest, QuadraticOfTheWrongSizeIsRefused) {
  Poly2Model model;
  try {
    model.load_parameters(nlohmann::json::parse(
        R"({"intercept": 0, "linear": [1, 2, 3], "quadratic": [1, 2, 3, 4, 5]})"));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("parameters.quadratic"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("6 numbers"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace migpower
