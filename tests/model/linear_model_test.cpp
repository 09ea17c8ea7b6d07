#include "model/linear_model.hpp"

#include <gtest/gtest.h>

#include <Eigen/QR>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace migpower {
namespace {

struct Data {
  FeatureMatrix x;
  Eigen::VectorXd y;
};

// Uniform features with the given offset, targets from intercept + weights·x + noise.
Data make_data(Eigen::Index rows, const Eigen::VectorXd& weights, double intercept,
               double noise = 0.0, unsigned seed = 1, double offset = 0.0) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> gauss(0.0, 1.0);
  Data d{FeatureMatrix(rows, weights.size()), Eigen::VectorXd(rows)};
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < weights.size(); ++j) d.x(i, j) = offset + unit(random);
    d.y[i] = intercept + d.x.row(i).dot(weights) + noise * gauss(random);
  }
  return d;
}

// Least squares on the materialized [1 X] by Householder QR: the reference answer.
Eigen::VectorXd reference_ols(const Data& d) {
  Eigen::MatrixXd a(d.x.rows(), d.x.cols() + 1);
  a.col(0).setOnes();
  a.rightCols(d.x.cols()) = d.x;
  return a.householderQr().solve(d.y);
}

TEST(LinearModelTest, RecoversTheCoefficientsOfAnExactLinearFunction) {
  Eigen::VectorXd w(4);
  w << 2.0, -1.5, 0.5, 7.0;
  // 1,031 rows: several blocks of the moment kernel and an odd remainder.
  const Data d = make_data(1031, w, 3.0);
  LinearModel model;
  model.fit(d.x, d.y);
  EXPECT_EQ(model.kind(), "linear");
  EXPECT_NEAR(model.intercept(), 3.0, 1e-9);
  for (Eigen::Index j = 0; j < w.size(); ++j) EXPECT_NEAR(model.coefficients()[j], w[j], 1e-9);
}

TEST(LinearModelTest, MatchesQrLeastSquaresOnNoisyData) {
  Eigen::VectorXd w(6);
  w << 10.0, 0.0, -3.0, 4.0, 1.0, 25.0;
  const Data d = make_data(5000, w, 40.0, 2.0, 7);
  LinearModel model;
  model.fit(d.x, d.y);
  const Eigen::VectorXd ref = reference_ols(d);
  EXPECT_NEAR(model.intercept(), ref[0], 1e-8);
  for (Eigen::Index j = 0; j < w.size(); ++j) {
    EXPECT_NEAR(model.coefficients()[j], ref[j + 1], 1e-8);
  }
  // And the noise did not hide the truth.
  for (Eigen::Index j = 0; j < w.size(); ++j) EXPECT_NEAR(model.coefficients()[j], w[j], 0.5);
}

TEST(LinearModelTest, LargeOffsetsDoNotCostPrecision) {
  Eigen::VectorXd w(3);
  w << 1.0, 2.0, 3.0;
  const Data d = make_data(3000, w, -5.0, 0.0, 3, 1e4);  // values 10000..10001
  LinearModel model;
  model.fit(d.x, d.y);
  for (Eigen::Index j = 0; j < w.size(); ++j) EXPECT_NEAR(model.coefficients()[j], w[j], 1e-6);
  EXPECT_NEAR(model.predict(std::vector<double>{1e4, 1e4, 1e4}), -5.0 + 6e4, 1e-4);
}

TEST(LinearModelTest, DuplicateColumnsShareTheirWeight) {
  // Columns 0 and 1 identical, column 2 constant: rank deficient, yet the fit is exact and the
  // minimum-norm answer splits the weight evenly.
  Data d{FeatureMatrix(400, 3), Eigen::VectorXd(400)};
  std::mt19937_64 random(5);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (Eigen::Index i = 0; i < d.x.rows(); ++i) {
    d.x(i, 0) = d.x(i, 1) = unit(random);
    d.x(i, 2) = 0.25;
    d.y[i] = 1.0 + 4.0 * d.x(i, 0);
  }
  LinearModel model;
  model.fit(d.x, d.y);
  EXPECT_NEAR(model.coefficients()[0], 2.0, 1e-6);
  EXPECT_NEAR(model.coefficients()[1], 2.0, 1e-6);
  EXPECT_EQ(model.coefficients()[2], 0.0);
  EXPECT_NEAR(model.intercept(), 1.0, 1e-6);
  Eigen::VectorXd predicted;
  model.predict_all(d.x, predicted);
  EXPECT_LT((predicted - d.y).cwiseAbs().maxCoeff(), 1e-6);
}

TEST(LinearModelTest, AllZeroFeaturesGiveTheMean) {
  Data d{FeatureMatrix::Zero(10, 2), Eigen::VectorXd::LinSpaced(10, 0.0, 9.0)};
  LinearModel model;
  model.fit(d.x, d.y);
  EXPECT_DOUBLE_EQ(model.intercept(), 4.5);
  EXPECT_EQ(model.coefficients().norm(), 0.0);
}

TEST(LinearModelTest, TooFewRowsIsAnInputError) {
  Eigen::VectorXd w(3);
  w << 1.0, 2.0, 3.0;
  const Data d = make_data(3, w, 0.0);  // 3 features + intercept need 4 rows
  LinearModel model;
  try {
    model.fit(d.x, d.y);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("at least 4"), std::string::npos) << e.what();
  }
  LinearModel ridge(1.0);
  EXPECT_NO_THROW(ridge.fit(d.x, d.y));  // the penalty makes it determined
  const Data one = make_data(1, w, 0.0);
  EXPECT_THROW(ridge.fit(one.x, one.y), InputError);
}

TEST(LinearModelTest, NonFiniteDataIsAnInputErrorNamingTheRow) {
  Eigen::VectorXd w(2);
  w << 1.0, 2.0;
  Data d = make_data(50, w, 0.0);
  d.x(17, 1) = std::numeric_limits<double>::quiet_NaN();
  LinearModel model;
  try {
    model.fit(d.x, d.y);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 17"), std::string::npos) << e.what();
  }
}

TEST(LinearModelTest, RidgeMatchesTheClosedFormOnStandardizedColumns) {
  Eigen::VectorXd w(5);
  w << 3.0, -2.0, 0.0, 8.0, 1.0;
  const Data d = make_data(2500, w, 12.0, 1.0, 11);
  const double lambda = 50.0;
  LinearModel model(lambda);
  model.fit(d.x, d.y);
  EXPECT_EQ(model.kind(), "ridge");

  // (ZᵀZ + λI) v = Zᵀ(y − ȳ) with Z the standardized columns (population standard deviation).
  const Eigen::RowVectorXd mean = d.x.colwise().mean();
  const Eigen::MatrixXd centered = d.x.rowwise() - mean;
  const Eigen::RowVectorXd sd =
      (centered.colwise().squaredNorm() / static_cast<double>(d.x.rows())).cwiseSqrt();
  const Eigen::MatrixXd z = centered.array().rowwise() / sd.array();
  const Eigen::VectorXd yc = d.y.array() - d.y.mean();
  const Eigen::MatrixXd a =
      z.transpose() * z + lambda * Eigen::MatrixXd::Identity(w.size(), w.size());
  const Eigen::VectorXd v = a.ldlt().solve(z.transpose() * yc);
  const Eigen::VectorXd expected = v.array() / sd.transpose().array();
  for (Eigen::Index j = 0; j < w.size(); ++j) {
    EXPECT_NEAR(model.coefficients()[j], expected[j], 1e-9);
  }
  EXPECT_NEAR(model.intercept(), d.y.mean() - mean.dot(expected), 1e-9);
}

TEST(LinearModelTest, RidgeShrinksAndTinyLambdaIsLeastSquares) {
  Eigen::VectorXd w(3);
  w << 5.0, -5.0, 2.0;
  const Data d = make_data(800, w, 1.0, 0.5, 13);
  LinearModel ols;
  ols.fit(d.x, d.y);
  LinearModel tiny(1e-9);
  tiny.fit(d.x, d.y);
  LinearModel heavy(1e5);
  heavy.fit(d.x, d.y);
  EXPECT_LT((tiny.coefficients() - ols.coefficients()).norm(), 1e-8);
  EXPECT_LT(heavy.coefficients().norm(), 0.1 * ols.coefficients().norm());
  EXPECT_NEAR(heavy.intercept(), d.y.mean(), 0.5);  // the intercept is not penalized
}

TEST(LinearModelTest, BadLambdaIsRefused) {
  EXPECT_THROW(LinearModel(0.0), InputError);
  EXPECT_THROW(LinearModel(-1.0), InputError);
  EXPECT_THROW(LinearModel(std::numeric_limits<double>::infinity()), InputError);
}

TEST(LinearModelTest, ParametersRoundTripGiveIdenticalPredictions) {
  Eigen::VectorXd w(4);
  w << 0.3, 0.1, -0.7, 2.5;
  const Data d = make_data(300, w, 0.4, 0.05, 17);
  LinearModel model(0.5);
  model.fit(d.x, d.y);
  LinearModel loaded(0.5);
  loaded.load_parameters(nlohmann::json::parse(model.parameters().dump()));
  for (Eigen::Index i = 0; i < d.x.rows(); ++i) {
    const std::span<const double> row(d.x.row(i).data(), 4);
    EXPECT_EQ(loaded.predict(row), model.predict(row));
  }
}

TEST(LinearModelTest, BadParametersNameTheField) {
  LinearModel model;
  const auto message = [&](const std::string& text) {
    try {
      model.load_parameters(nlohmann::json::parse(text));
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(R"({"coefficients": [1, 2]})").find("parameters.intercept"), std::string::npos);
  EXPECT_NE(
      message(R"({"intercept": 1, "coefficients": [1, "x"]})").find("parameters.coefficients[1]"),
      std::string::npos);
  EXPECT_NE(message(R"({"intercept": "1", "coefficients": []})").find("parameters.intercept"),
            std::string::npos);
  EXPECT_NE(message(R"({"intercept": 1, "coefficients": [], "extra": 1})").find("extra"),
            std::string::npos);
  EXPECT_NE(message("[1, 2]").find("parameters"), std::string::npos);
}

TEST(LinearModelTest, PredictWithTheWrongFeatureCountIsRefused) {
  Eigen::VectorXd w(2);
  w << 1.0, 1.0;
  const Data d = make_data(20, w, 0.0);
  LinearModel model;
  model.fit(d.x, d.y);
  EXPECT_THROW(static_cast<void>(model.predict(std::vector<double>{1.0, 2.0, 3.0})), InputError);
}

}  // namespace
}  // namespace migpower
