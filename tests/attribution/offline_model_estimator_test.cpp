#include "attribution/offline_model_estimator.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "attribution/attributor.hpp"
#include "attribution/method_factory.hpp"
#include "attribution/test_frames.hpp"
#include "core/error.hpp"
#include "model/linear_model.hpp"
#include "model/model_kinds.hpp"

namespace migpower {
namespace {

using nlohmann::json;

constexpr const char* kA100 = "NVIDIA A100-SXM4-40GB";

// A linear model file whose power is `watts_per_gr` × the GR_ENGINE_ACTIVE·r feature + intercept.
ModelFile gr_model(double watts_per_gr, double intercept = 0.0,
                   const std::string& gpu_model = kA100, std::string_view kind = "linear") {
  std::vector<double> coefficients(kFeatureCount, 0.0);
  coefficients[0] = watts_per_gr;
  ModelFile file;
  file.model = make_power_model(kind);
  file.model->load_parameters(json{{"intercept", intercept}, {"coefficients", coefficients}});
  file.hyperparameters = hyperparameters_of(*file.model);
  file.training.gpu_model = gpu_model;
  return file;
}

Frame mixed_frame(double power_w) {
  Frame f = testing::a100_mixed(power_w);
  f.sm_clock_mhz = 1410.0;  // the A100's maximum: r = 1
  return f;
}

TEST(OfflineModelEstimatorTest, PredictsEachInstanceFromItsOwnFeatures) {
  OfflineModelEstimator estimator(gr_model(300.0), "m.json");
  EXPECT_EQ(estimator.name(), "linear");
  EXPECT_TRUE(estimator.estimates_watts());
  const Frame frame = mixed_frame(250.0);
  std::vector<double> out(frame.instances.size());
  estimator.estimate(frame, out);
  // 300 W × GR × the instance's share of the card's 108 SMs.
  const std::vector<double> sms = {42.0, 28.0, 14.0, 14.0};
  const std::vector<double> gr = {0.8, 0.5, 0.0, 0.6};
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_NEAR(out[i], 300.0 * gr[i] * sms[i] / 108.0, 1e-9) << i;
  }
}

TEST(OfflineModelEstimatorTest, NegativePredictionsBecomeZero) {
  OfflineModelEstimator estimator(gr_model(100.0, -20.0), "m.json");
  const Frame frame = mixed_frame(250.0);
  std::vector<double> out(frame.instances.size());
  estimator.estimate(frame, out);
  EXPECT_EQ(out[2], 0.0);  // idle: −20 W predicted
  EXPECT_GT(out[0], 0.0);
}

TEST(OfflineModelEstimatorTest, AnotherGpuModelIsRefusedUnlessForced) {
  const Frame frame = mixed_frame(250.0);
  std::vector<double> out(frame.instances.size());
  OfflineModelEstimator strict(gr_model(300.0, 0.0, "NVIDIA H100 80GB HBM3"), "h100.json");
  try {
    strict.estimate(frame, out);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("h100.json"), std::string::npos) << message;
    EXPECT_NE(message.find("--force-model"), std::string::npos) << message;
  }
  OfflineModelEstimator forced(gr_model(300.0, 0.0, "NVIDIA H100 80GB HBM3"), "h100.json", true);
  EXPECT_NO_THROW(forced.estimate(frame, out));
}

class OfflineMethodTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-offline-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string write(const ModelFile& file, const std::string& name) {
    const std::string path = (dir_ / name).string();
    write_model_file(path, file);
    return path;
  }
  std::filesystem::path dir_;
};

TEST_F(OfflineMethodTest, EveryKindIsAMethodThatNeedsAModelFile) {
  for (const char* kind : {"linear", "ridge", "poly2", "gbt"}) {
    const MethodInfo* info = find_method(kind);
    ASSERT_NE(info, nullptr) << kind;
    EXPECT_TRUE(info->needs_model_file) << kind;
    MethodChoice choice;
    choice.method = kind;
    EXPECT_THROW(static_cast<void>(make_attributor(choice)), InputError) << kind;
  }
}

TEST_F(OfflineMethodTest, AttributesWithTheModelAndConservesEnergy) {
  MethodChoice choice;
  choice.method = "linear";
  choice.model_path = write(gr_model(300.0), "linear.json");
  Attributor attributor = make_attributor(choice);
  EXPECT_EQ(attributor.method_name(), "linear");
  EXPECT_EQ(method_label(choice), "linear (linear.json)");
  FrameAttribution out;
  attributor.attribute(mixed_frame(250.0), out);
  ASSERT_EQ(out.shares.size(), 4u);
  double total = out.unattributed_w;
  for (const auto& share : out.shares) {
    total += share.power_w;
    EXPECT_TRUE(std::isfinite(share.estimate_w));  // a model gives watts
  }
  EXPECT_NEAR(total, 250.0, 1e-9);
  // Dynamic power in proportion to the predictions (300 × GR × SMs / 108).
  EXPECT_NEAR(out.shares[0].dynamic_w / out.shares[3].dynamic_w, (0.8 * 42.0) / (0.6 * 14.0), 1e-9);
  EXPECT_EQ(out.shares[2].dynamic_w, 0.0);
}

TEST_F(OfflineMethodTest, AFileOfAnotherKindIsRefused) {
  MethodChoice choice;
  choice.method = "ridge";
  choice.model_path = write(gr_model(300.0), "linear.json");
  try {
    static_cast<void>(make_attributor(choice));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("linear.json"), std::string::npos) << message;
    EXPECT_NE(message.find("holds a linear model, not ridge"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace migpower
