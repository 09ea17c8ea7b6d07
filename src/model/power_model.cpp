#include "model/power_model.hpp"

namespace migpower {

void PowerModel::predict_all(const FeatureMatrix& x, Eigen::VectorXd& out) const {
  out.resize(x.rows());
  for (Eigen::Index i = 0; i < x.rows(); ++i) {
    out[i] = predict(std::span<const double>(x.row(i).data(), static_cast<std::size_t>(x.cols())));
  }
}

}  // namespace migpower
