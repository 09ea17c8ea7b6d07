// attribute, evaluate and train --power-from-counter: card power becomes the energy counter's mean
// over each frame, through the real binary.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/run_command.hpp"

namespace migpower {
namespace {

using test::run_migpower;

// A whole card whose instantaneous power reads the idle half of a duty-cycled job: 120 W read
// while the counter grows by 400 J a second.
constexpr const char* kTrace =
    "timestamp,gpu_uuid,gpu_model,gpu_i_id,gpu_i_profile,truth_power_w,DCGM_FI_DEV_POWER_USAGE,"
    "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION,DCGM_FI_PROF_GR_ENGINE_ACTIVE\n"
    "10,GPU-a,NVIDIA H200,,,,110,1000000,\n"
    "10,GPU-a,,0,,110,,,0.0\n"
    "11,GPU-a,NVIDIA H200,,,,120,1400000,\n"
    "11,GPU-a,,0,,400,,,0.5\n"
    "12,GPU-a,NVIDIA H200,,,,125,1800000,\n"
    "12,GPU-a,,0,,400,,,0.5\n";

class PowerFromCounter : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("migpower-power-from-counter-" + std::to_string(::getpid()) + ".csv");
    std::ofstream(path_) << kTrace;
  }
  void TearDown() override { std::filesystem::remove(path_); }

  // The card_power_w column of `attribute --format csv`.
  std::vector<std::string> card_power(const std::string& flags) const {
    const auto result = run_migpower("attribute " + path_.string() + " --format csv " + flags);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    std::istringstream lines(result.out);
    std::string line;
    std::getline(lines, line);  // header: card_power_w is the 10th column
    std::vector<std::string> out;
    while (std::getline(lines, line)) {
      std::istringstream cells(line);
      std::string cell;
      for (int i = 0; i < 10; ++i) std::getline(cells, cell, ',');
      out.push_back(cell);
    }
    return out;
  }

  std::filesystem::path path_;
};

TEST_F(PowerFromCounter, AttributeSplitsTheCountersMeanInsteadOfTheReading) {
  EXPECT_EQ(card_power(""), (std::vector<std::string>{"110.000", "120.000", "125.000"}));
  EXPECT_EQ(card_power("--power-from-counter"),
            (std::vector<std::string>{"110.000", "400.000", "400.000"}));
}

TEST_F(PowerFromCounter, EvaluateScoresAgainstTheMean) {
  // One instance: its share is the card's power, the truth what it drew (400 W while busy).
  const auto mape = [&](const std::string& flags) {
    const auto result =
        run_migpower("evaluate " + path_.string() + " --warmup 0 --format json " + flags);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return nlohmann::json::parse(result.out)["instances"][0]["mape_pct"].get<double>();
  };
  EXPECT_NEAR(mape(""), (280.0 / 400.0 + 275.0 / 400.0) / 3.0 * 100.0, 1e-9);
  EXPECT_NEAR(mape("--power-from-counter"), 0.0, 1e-9);
}

// The training RMSE that `train` prints ("training   N rows  MAPE x %  RMSE y W").
double training_rmse(const std::string& output) {
  const auto line = output.find("training ");
  const auto rmse = output.find("RMSE ", line);
  EXPECT_NE(rmse, std::string::npos) << output;
  return std::stod(output.substr(rmse + 5));
}

TEST_F(PowerFromCounter, TrainFitsTheMean) {
  // 40 frames, idle and busy by turns. Busy draws 400 W (the counter) but reads 120 or 125 W;
  // idle draws and reads 110 W. Against the counter's means the targets are a function of the
  // activity; against the readings, busy frames of the same activity disagree by 5 W.
  std::ofstream trace(path_);
  trace << "timestamp,gpu_uuid,gpu_model,gpu_i_id,gpu_i_profile,DCGM_FI_DEV_POWER_USAGE,"
           "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION,DCGM_FI_PROF_GR_ENGINE_ACTIVE\n";
  double energy_mj = 0.0;
  for (int t = 0; t < 40; ++t) {
    const bool busy = t % 2 == 1;
    energy_mj += busy ? 400'000.0 : 110'000.0;
    trace << t << ",GPU-a,NVIDIA H200,,," << (busy ? (t % 4 == 1 ? 120 : 125) : 110) << ","
          << energy_mj << ",\n"
          << t << ",GPU-a,,0,,,," << (busy ? "0.5" : "0") << "\n";
  }
  trace.close();
  const auto model = std::filesystem::path(path_).replace_extension(".json");
  const auto train = [&](const std::string& flags) {
    const auto result =
        run_migpower("train " + path_.string() + " --model ridge --lambda 1e-9 --validation 0 " +
                     "--out " + model.string() + " " + flags);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return training_rmse(result.out + result.err);
  };
  EXPECT_LT(train("--power-from-counter"), 0.1);
  // The readings scatter ±2.5 W about their mean on the busy half of the frames: 2.5 / √2.
  EXPECT_NEAR(train(""), 2.5 / std::sqrt(2.0), 0.05);
  std::filesystem::remove(model);
}

}  // namespace
}  // namespace migpower
