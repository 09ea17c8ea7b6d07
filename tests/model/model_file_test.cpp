#include "model/model_file.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "core/error.hpp"
#include "model/features.hpp"
#include "model/model_kinds.hpp"

namespace migpower {
namespace {

using nlohmann::json;

// A model of `kind` fitted to a smooth function of the real feature count, with provenance.
ModelFile trained(std::string_view kind, const json& hyperparameters = json::object()) {
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const Eigen::Index rows = 600;
  FeatureMatrix x(rows, static_cast<Eigen::Index>(kFeatureCount));
  Eigen::VectorXd y(rows);
  for (Eigen::Index i = 0; i < rows; ++i) {
    for (Eigen::Index j = 0; j < x.cols(); ++j) x(i, j) = unit(random);
    y[i] = 20.0 + 150.0 * x(i, 1) + 80.0 * x(i, 4) * x(i, 4) + 40.0 * x(i, 20);
  }
  ModelFile file;
  file.model = make_power_model(kind, hyperparameters);
  file.model->fit(x, y);
  file.hyperparameters = hyperparameters_of(*file.model);
  file.training.gpu_model = "NVIDIA A100-SXM4-40GB";
  file.training.rows = static_cast<std::size_t>(rows);
  file.training.validation_rows = 100;
  file.training.start_s = 1000.0;
  file.training.end_s = 1600.0;
  file.training.workloads = {"gemm", "llm"};
  file.training.sources = {"a.csv", "b.csv"};
  file.training.static_power = "catalog idle floor, 55 W";
  file.training.frames = 700;
  file.training.frames_concurrent = 90;
  file.training.frames_idle = 10;
  file.training_error = fit_error(*file.model, x, y);
  file.validation_error = FitError{100, 2.5, 3.0};
  return file;
}

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-model-file-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // The error reading `document` as file "bad.json", or "no error".
  std::string error_reading(const json& document) {
    std::ofstream(path("bad.json")) << document.dump();
    try {
      static_cast<void>(read_model_file(path("bad.json")));
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }

  std::filesystem::path dir_;
};

TEST_F(ModelFileTest, RoundTripGivesIdenticalPredictionsForEveryKind) {
  std::mt19937_64 random(7);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (const auto& info : model_kinds()) {
    // A few small trees are enough to show the booster survives the trip, and quick.
    const json hyperparameters =
        info.name == "gbt" ? json{{"num_boost_round", 10}, {"max_depth", 3}} : json::object();
    const ModelFile original = trained(info.name, hyperparameters);
    write_model_file(path("m.json"), original);
    const ModelFile loaded = read_model_file(path("m.json"));
    ASSERT_EQ(loaded.model->kind(), info.name);
    for (int trial = 0; trial < 50; ++trial) {
      std::vector<double> features(kFeatureCount);
      for (auto& f : features) f = unit(random);
      EXPECT_EQ(loaded.model->predict(features), original.model->predict(features)) << info.name;
    }
    EXPECT_EQ(loaded.hyperparameters, original.hyperparameters);
    EXPECT_EQ(loaded.training.gpu_model, original.training.gpu_model);
    EXPECT_EQ(loaded.training.workloads, original.training.workloads);
    EXPECT_EQ(loaded.training.sources, original.training.sources);
    EXPECT_EQ(loaded.training.frames_concurrent, 90u);
    EXPECT_EQ(loaded.training_error.rmse_w, original.training_error.rmse_w);
    ASSERT_TRUE(loaded.validation_error.has_value());
    EXPECT_EQ(loaded.validation_error->mape_pct, 2.5);
  }
}

TEST_F(ModelFileTest, FileRecordsKindFeaturesAndProvenance) {
  const json document = model_file_json(trained("ridge", json{{"lambda", 4.0}}));
  EXPECT_EQ(document.at("format"), "migpower-model");
  EXPECT_EQ(document.at("format_version"), kModelFileVersion);
  EXPECT_EQ(document.at("kind"), "ridge");
  EXPECT_EQ(document.at("features").size(), kFeatureCount);
  EXPECT_EQ(document.at("features")[0], feature_names()[0]);
  EXPECT_EQ(document.at("hyperparameters").at("lambda"), 4.0);
  EXPECT_EQ(document.at("training").at("span_s"), 600.0);
  EXPECT_EQ(document.at("training").at("gpu_model"), "NVIDIA A100-SXM4-40GB");
  EXPECT_TRUE(document.at("errors").at("training").contains("mape_pct"));
}

TEST_F(ModelFileTest, CorruptedFilesAreRefusedNamingFileAndField) {
  const json good = model_file_json(trained("ridge"));
  const auto with = [&](const std::function<void(json&)>& change) {
    json copy = good;
    change(copy);
    return error_reading(copy);
  };
  const auto expect_mentions = [](const std::string& message, const std::string& what) {
    EXPECT_NE(message.find("bad.json"), std::string::npos) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
  };
  expect_mentions(with([](json& d) { d["format_version"] = 2; }), "format_version");
  expect_mentions(with([](json& d) { d["format_version"] = "1"; }), "format_version");
  expect_mentions(with([](json& d) { d["format"] = "other"; }), "format");
  expect_mentions(with([](json& d) { d["kind"] = "forest"; }), "field 'kind'");
  expect_mentions(with([](json& d) { d.erase("parameters"); }), "field 'parameters': missing");
  expect_mentions(with([](json& d) { d["parameters"]["coefficients"][3] = "x"; }),
                  "parameters.coefficients[3]");
  expect_mentions(with([](json& d) { d["parameters"]["coefficients"].erase(0); }),
                  "field 'parameters'");
  expect_mentions(with([](json& d) { d["training"]["rows"] = -3; }), "training.rows");
  expect_mentions(with([](json& d) { d["training"].erase("gpu_model"); }), "training.gpu_model");
  expect_mentions(with([](json& d) { d["errors"]["validation"]["rmse_w"] = "x"; }),
                  "errors.validation.rmse_w");
  expect_mentions(with([](json& d) { d["hyperparameters"]["lambda"] = -1; }),
                  "hyperparameters.lambda");
  expect_mentions(with([](json& d) { d["features"][2] = "FOO*r"; }), "field 'features'");
  expect_mentions(with([](json& d) { d["features"].erase(21); }), "field 'features'");
  expect_mentions(error_reading(json::array()), "object");

  std::ofstream(path("bad.json")) << good.dump().substr(0, 200);  // truncated
  try {
    static_cast<void>(read_model_file(path("bad.json")));
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    expect_mentions(e.what(), "not a JSON model file");
  }
  EXPECT_THROW(static_cast<void>(read_model_file(path("missing.json"))), InputError);
}

TEST_F(ModelFileTest, ValidationErrorMayBeAbsent) {
  ModelFile file = trained("linear");
  file.validation_error.reset();
  write_model_file(path("m.json"), file);
  EXPECT_FALSE(read_model_file(path("m.json")).validation_error.has_value());
}

TEST(GpuModelCheckTest, SameCardUnderAnyNameIsAccepted) {
  EXPECT_TRUE(same_gpu_model("NVIDIA A100-SXM4-40GB", "A100-SXM4-40GB"));
  EXPECT_FALSE(same_gpu_model("NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3"));
  EXPECT_TRUE(same_gpu_model("Some Future GPU", "some future gpu"));
  EXPECT_FALSE(same_gpu_model("Some Future GPU", "NVIDIA A100-SXM4-40GB"));
}

TEST(GpuModelCheckTest, AnotherGpuModelIsRefusedUnlessForced) {
  ModelFile file;
  file.training.gpu_model = "NVIDIA A100-SXM4-40GB";
  EXPECT_NO_THROW(require_gpu_model(file, "A100-SXM4-40GB", "m.json", false));
  try {
    require_gpu_model(file, "NVIDIA H100 80GB HBM3", "m.json", false);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("m.json"), std::string::npos);
    EXPECT_NE(message.find("H100"), std::string::npos);
    EXPECT_NE(message.find("--force-model"), std::string::npos);
  }
  EXPECT_NO_THROW(require_gpu_model(file, "NVIDIA H100 80GB HBM3", "m.json", true));
}

}  // namespace
}  // namespace migpower
