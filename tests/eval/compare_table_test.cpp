#include "eval/compare_table.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "attribution/method_factory.hpp"
#include "model/model_file.hpp"
#include "model/model_kinds.hpp"
#include "model/training_data.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

Simulator simulator(const std::string& scenario, double duration_s) {
  SimulationOptions options;
  options.scenario = scenario;
  options.duration_s = duration_s;
  return Simulator(options);
}

// A model file of `kind` trained on a short whole-card run.
std::string train(const std::string& kind, const std::filesystem::path& dir) {
  TrainingDataBuilder builder;
  Simulator source = simulator("full-gpu-gemm-tensor", 300.0);
  builder.add(source, "full-gpu-gemm-tensor");
  TrainingData data = builder.finish();
  ModelFile file;
  // A small gbt: the test is about the table, not the trees.
  const nlohmann::json small = {{"num_boost_round", 10}, {"nthread", 1}};
  file.model = make_power_model(kind, kind == "gbt" ? small : nlohmann::json::object());
  file.model->fit(data.x, data.y);
  file.training = data.summary;
  file.training_error = fit_error(*file.model, data.x, data.y);
  const std::string path = (dir / (kind + ".json")).string();
  write_model_file(path, file);
  return path;
}

TEST(CompareTable, ListsEveryMethodWithBeforeScalingOnlyWhereItExists) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("migpower-compare-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::vector<EvaluationReport> reports;
  for (const auto& info : attribution_methods()) {
    MethodChoice choice;
    choice.method = std::string(info.name);
    if (info.needs_model_file) choice.model_path = train(choice.method, dir);
    Simulator source = simulator("mixed", 240.0);
    reports.push_back(evaluate(source, choice, "scenario mixed", nullptr, {60.0}));
  }
  std::filesystem::remove_all(dir);

  std::ostringstream text;
  print_compare_table(text, reports);
  const std::string table = text.str();
  EXPECT_EQ(table.find("scenario mixed"), 0u) << table;
  ASSERT_EQ(reports.size(), attribution_methods().size());
  for (const auto& report : reports) {
    std::istringstream lines(table);
    std::string row;
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(report.method + " ")) row = line;
    }
    ASSERT_FALSE(row.empty()) << report.method << " missing from\n" << table;
    // Weight-based methods have no watts before scaling; models always do.
    EXPECT_EQ(row.find("n/a") != std::string::npos, !report.aggregate_error_before_pct.has_value())
        << row;
    const ReportSummary s = summarize(report);
    EXPECT_GE(s.worst_mape_pct, s.mean_mape_pct);
  }
}

TEST(CompareTable, SummaryTakesMeansAndTheLargestEnergyErrorBySize) {
  EvaluationReport report;
  report.instances.resize(3);
  report.instances[0].mape_pct = 10.0;
  report.instances[0].energy_error_pct = 4.0;
  report.instances[0].mape_before_pct = 30.0;
  report.instances[1].mape_pct = 20.0;
  report.instances[1].energy_error_pct = -9.0;
  report.instances[1].mape_before_pct = 10.0;
  report.instances[2].mape_pct = 0.0;
  report.instances[2].energy_error_pct = 8.0;
  const ReportSummary s = summarize(report);
  EXPECT_DOUBLE_EQ(s.mean_mape_pct, 10.0);
  EXPECT_DOUBLE_EQ(s.worst_mape_pct, 20.0);
  EXPECT_DOUBLE_EQ(s.worst_energy_error_pct, -9.0);
  ASSERT_TRUE(s.mean_mape_before_pct);
  EXPECT_DOUBLE_EQ(*s.mean_mape_before_pct, 20.0);  // over the instances that have one
  EXPECT_DOUBLE_EQ(*s.worst_mape_before_pct, 30.0);
}

}  // namespace
}  // namespace migpower
