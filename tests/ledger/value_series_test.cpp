// ValueSeries: carbon intensity and price over periods, from a constant, a CSV or Electricity
// Maps history JSON; gaps are gaps (never 0), and bad files are errors naming the line.

#include "ledger/value_series.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"

namespace migpower {
namespace {

class ValueSeriesTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("migpower-series-" + std::to_string(::getpid()) + "-" + name);
    std::ofstream(path) << text;
    paths_.push_back(path);
    return path.string();
  }
  void TearDown() override {
    for (const auto& path : paths_) std::filesystem::remove(path);
  }
  std::vector<std::filesystem::path> paths_;
};

TEST_F(ValueSeriesTest, ACsvHoldsEachValueOverItsPeriodAndAGapIsNone) {
  const std::string path =
      write("grid.csv",
            "period_start,period_end,gco2e_per_kwh,zone,source\n"
            "2026-01-01T00:00:00Z,2026-01-01T01:00:00Z,300,DE,grid-operator\n"
            "2026-01-01T01:00:00Z,2026-01-01T02:00:00Z,250.5,DE,grid-operator\n"
            "2026-01-01T03:00:00Z,2026-01-01T04:00:00Z,200,DE,grid-operator\n");
  const ValueSeries series = ValueSeries::load(path, ValueSeries::Kind::carbon);
  const double midnight = 1767225600.0;
  EXPECT_EQ(series.at(midnight), 300.0);
  EXPECT_EQ(series.at(midnight + 3599.0), 300.0);
  EXPECT_EQ(series.at(midnight + 3600.0), 250.5);
  EXPECT_EQ(series.at(midnight + 2.5 * 3600.0), std::nullopt);  // the gap
  EXPECT_EQ(series.at(midnight - 1.0), std::nullopt);
  EXPECT_EQ(series.at(midnight + 4 * 3600.0), std::nullopt);
  EXPECT_EQ(series.source(), path + " (grid-operator)");
}

TEST_F(ValueSeriesTest, PoundsPerMegawattHourAreConvertedToGramsPerKilowattHour) {
  const std::string path = write("us.csv", "period_start,period_end,lbs_per_mwh\n0,3600,1000\n");
  const ValueSeries series = ValueSeries::load(path, ValueSeries::Kind::carbon);
  EXPECT_NEAR(*series.at(10.0), 453.59237, 1e-9);
}

TEST_F(ValueSeriesTest, ElectricityMapsHistoryHoldsEachValueUntilTheNext) {
  const std::string path = write("em.json",
                                 R"({"zone": "FR", "history": [
           {"carbonIntensity": 60, "datetime": "2026-01-01T01:00:00.000Z"},
           {"carbonIntensity": 50, "datetime": "2026-01-01T00:00:00.000Z"}]})");
  const ValueSeries series = ValueSeries::load(path, ValueSeries::Kind::carbon);
  const double midnight = 1767225600.0;
  EXPECT_EQ(series.at(midnight + 10.0), 50.0);
  EXPECT_EQ(series.at(midnight + 3610.0), 60.0);
  EXPECT_EQ(series.at(midnight + 7300.0), std::nullopt);  // the last holds for an hour
  EXPECT_NE(series.source().find("zone FR"), std::string::npos);
}

TEST_F(ValueSeriesTest, APriceSeriesCarriesItsCurrency) {
  const std::string path =
      write("price.csv", "period_start,period_end,price_per_kwh,currency\n0,100,0.25,EUR\n");
  const ValueSeries series = ValueSeries::load(path, ValueSeries::Kind::price);
  EXPECT_EQ(series.at(50.0), 0.25);
  EXPECT_EQ(series.currency(), "EUR");
}

TEST_F(ValueSeriesTest, BadFilesAreErrorsNamingTheLineAndField) {
  const auto message = [](const std::string& path, ValueSeries::Kind kind) {
    try {
      (void)ValueSeries::load(path, kind);
    } catch (const InputError& error) {
      return std::string(error.what());
    }
    return std::string("(no error)");
  };
  const std::string bad_value =
      write("bad.csv", "period_start,period_end,gco2e_per_kwh\n0,10,300\n10,20,lots\n");
  EXPECT_EQ(message(bad_value, ValueSeries::Kind::carbon),
            bad_value + ":3: gco2e_per_kwh: 'lots' is not a number >= 0");
  const std::string overlap =
      write("overlap.csv", "period_start,period_end,gco2e_per_kwh\n0,10,300\n5,20,200\n");
  EXPECT_NE(message(overlap, ValueSeries::Kind::carbon).find(overlap + ":3: period_start"),
            std::string::npos);
  const std::string no_column = write("header.csv", "start,end,value\n0,10,1\n");
  EXPECT_NE(message(no_column, ValueSeries::Kind::carbon).find(":1: the header needs"),
            std::string::npos);
  EXPECT_THROW(ValueSeries::constant(-1.0, "x"), InputError);
}

}  // namespace
}  // namespace migpower
