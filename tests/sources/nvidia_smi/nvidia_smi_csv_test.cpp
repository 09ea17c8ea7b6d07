#include "sources/nvidia_smi/nvidia_smi_csv.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "trace/time_text.hpp"

namespace migpower {
namespace {

const std::filesystem::path kFixtures =
    std::filesystem::path(MIGPOWER_SOURCE_DIR) / "tests/sources/nvidia_smi/fixtures/nvidia-smi";

std::vector<Frame> read_all(const std::string& name, NvidiaSmiCsvOptions options = {}) {
  NvidiaSmiCsvSource source((kFixtures / name).string(), options);
  std::vector<Frame> frames;
  Frame frame;
  while (source.next(frame)) frames.push_back(frame);
  return frames;
}

LocatedError error_of(const std::string& name) {
  try {
    (void)read_all(name);
  } catch (const LocatedError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for " << name;
  return LocatedError(name, 0, "", "none");
}

TEST(NvidiaSmiCsv, DefaultFormatWithUnits) {
  const auto frames = read_all("units.csv");
  ASSERT_EQ(frames.size(), 4U);
  const Frame& first = frames[0];
  EXPECT_EQ(first.gpu_uuid, "GPU-a810a1fc-9f46-0e6f-5cef-bf34c2248e12");
  EXPECT_EQ(first.gpu_model, "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(first.timestamp_s, utc_seconds(2026, 11, 1, 10, 0, 0.123));
  EXPECT_EQ(first.power_w, 62.35);
  EXPECT_EQ(first.sm_clock_mhz, 1410.0);
  EXPECT_EQ(first.mem_clock_mhz, 1215.0);
  EXPECT_EQ(first.temperature_c, 33.0);
  EXPECT_EQ(first.power_limit_w, 400.0);
  EXPECT_FALSE(first.energy_mj.has_value());
  EXPECT_TRUE(first.instances.empty());               // card level only
  EXPECT_FALSE(frames[1].power_limit_w.has_value());  // [N/A]
  EXPECT_EQ(frames[2].power_w, 250.02);
  EXPECT_FALSE(frames[3].power_w.has_value());  // [Not Supported]
  EXPECT_EQ(frames[3].power_limit_w, 400.0);
}

TEST(NvidiaSmiCsv, NoUnitsLongNamesBusIdAndPowerFallbacks) {
  const auto frames = read_all("nounits.csv", {.utc_offset_s = 3600.0});
  ASSERT_EQ(frames.size(), 2U);
  EXPECT_EQ(frames[0].gpu_uuid, "00000000:1A:00.0");
  EXPECT_EQ(frames[0].timestamp_s, utc_seconds(2026, 11, 1, 9, 0, 0.5));  // UTC+01:00 log
  EXPECT_EQ(frames[0].power_w, 212.43);       // the average before the instant reading
  EXPECT_EQ(frames[1].power_w, 229.5);        // average N/A: the instant reading
  EXPECT_EQ(frames[0].power_limit_w, 700.0);  // enforced.power.limit
  EXPECT_EQ(frames[0].sm_clock_mhz, 1980.0);
  EXPECT_EQ(frames[0].mem_clock_mhz, 2619.0);
}

TEST(NvidiaSmiCsv, AppendedRunsAndRepeatedTimestamps) {
  NvidiaSmiCsvSource source((kFixtures / "appended.csv").string());
  std::vector<Frame> frames;
  Frame frame;
  while (source.next(frame)) frames.push_back(frame);
  ASSERT_EQ(frames.size(), 3U);
  EXPECT_EQ(source.duplicates_skipped(), 1U);
  EXPECT_EQ(frames[0].gpu_uuid, "nvidia-smi-gpu0");
  EXPECT_EQ(frames[2].gpu_model, "NVIDIA A30");  // the second header has a name column
  EXPECT_EQ(frames[2].power_w, 33.2);
}

TEST(NvidiaSmiCsv, ErrorsNameFileLineAndColumn) {
  const LocatedError backwards = error_of("backwards.csv");
  EXPECT_EQ(backwards.line(), 3U);
  EXPECT_EQ(backwards.column(), "timestamp");
  EXPECT_NE(backwards.reason().find("time goes backwards"), std::string::npos);
  const LocatedError number = error_of("bad-number.csv");
  EXPECT_EQ(number.line(), 2U);
  EXPECT_EQ(number.column(), "power.draw");
  EXPECT_EQ(number.reason(), "'sixty W' is not a number");
  const LocatedError header = error_of("no-timestamp.csv");
  EXPECT_EQ(header.line(), 1U);
  EXPECT_NE(header.reason().find("no timestamp column"), std::string::npos);
  EXPECT_THROW(NvidiaSmiCsvSource("/nonexistent/smi.csv"), InputError);
}

TEST(NvidiaSmiCsv, UtcOffsets) {
  EXPECT_EQ(parse_utc_offset("+02:00"), 7200.0);
  EXPECT_EQ(parse_utc_offset("-05:30"), -19800.0);
  EXPECT_EQ(parse_utc_offset("+0100"), 3600.0);
  EXPECT_EQ(parse_utc_offset("Z"), 0.0);
  EXPECT_EQ(parse_utc_offset("UTC"), 0.0);
  for (const char* bad : {"", "2", "+2", "+24:00", "+02:60", "02:00", "+02-00", "+-1:00"}) {
    EXPECT_FALSE(parse_utc_offset(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace migpower
