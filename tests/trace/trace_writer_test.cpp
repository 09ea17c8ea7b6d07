#include "trace/trace_writer.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/catalog.hpp"
#include "trace/contract_header.hpp"
#include "trace/trace_reader.hpp"

namespace migpower {
namespace {

constexpr const char* kHeader = test::kContractHeader;

Frame sample_frame() {
  Frame frame;
  frame.timestamp_s = 1700000000.5;
  frame.timestamp_text = "1700000000.500";
  frame.gpu_uuid = "GPU-a";
  frame.gpu_model = "NVIDIA A100-SXM4-40GB";
  frame.power_w = 250.5;
  frame.energy_mj = 123456789;
  frame.temperature_c = 55;
  InstanceSample instance;
  instance.gpu_i_id = 7;
  instance.profile = "1g.5gb";
  instance.compute_slices = 1;
  instance.memory_slices = 1;
  instance.workload = "train";
  instance.truth_power_w = 30.25;
  instance.set(Activity::sm, 0.5);
  instance.set(Activity::fp16, 0.1);
  instance.fb_used_mib = 4096;
  frame.instances.push_back(instance);
  return frame;
}

TEST(TraceWriter, WritesTheHeaderOnConstruction) {
  std::ostringstream out;
  TraceWriter writer(out);
  EXPECT_EQ(out.str(), kHeader);
}

TEST(TraceWriter, WritesACardRowThenOneRowPerInstance) {
  std::ostringstream out;
  {
    TraceWriter writer(out);
    writer.write(sample_frame());
  }
  EXPECT_EQ(out.str(), std::string(kHeader) +
                           "1700000000.500,GPU-a,NVIDIA A100-SXM4-40GB,,,,,250.5,123456789,,,55,,"
                           ",,,,,,,,\n"
                           "1700000000.500,GPU-a,,7,1g.5gb,train,30.25,,,,,,,,0.5,,,,,,0.1,4096\n");
}

TEST(TraceWriter, FormatsTheTimestampWhenThereIsNoText) {
  Frame frame;
  frame.timestamp_s = 12.3456;
  frame.gpu_uuid = "GPU-a";
  std::ostringstream out;
  {
    TraceWriter writer(out);
    writer.write(frame);
  }
  EXPECT_EQ(out.str(), std::string(kHeader) + "12.346,GPU-a,,,,,,,,,,,,,,,,,,,,\n");
}

TEST(TraceWriter, QuotesTextCellsOnlyWhenNeeded) {
  Frame frame = sample_frame();
  frame.instances[0].workload = "llm, \"big\" batch";
  frame.gpu_uuid = "GPU-plain";
  std::ostringstream out;
  {
    TraceWriter writer(out);
    writer.write(frame);
  }
  const std::string text = out.str();
  EXPECT_NE(text.find(",1g.5gb,\"llm, \"\"big\"\" batch\",30.25,"), std::string::npos) << text;
  EXPECT_EQ(text.find("\"GPU-plain\""), std::string::npos) << text;
}

TEST(TraceWriter, KeepsRowsUntilFlushedUnlessAskedToFlushEachFrame) {
  std::ostringstream buffered;
  TraceWriter lazy(buffered);
  lazy.write(sample_frame());
  EXPECT_EQ(buffered.str(), kHeader);  // rows wait in the writer's buffer
  lazy.flush();
  EXPECT_GT(buffered.str().size(), std::string(kHeader).size());

  std::ostringstream eager_out;
  TraceWriter eager(eager_out, /*flush_each_frame=*/true);
  eager.write(sample_frame());
  EXPECT_EQ(eager_out.str(), buffered.str());
}

// Round trip through a file: write frames, read them back, compare every field exactly.
class TraceRoundTrip : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }
  std::string path_ = (std::filesystem::temp_directory_path() /
                       ("migpower_round_trip_" + std::to_string(::getpid()) + ".csv"))
                          .string();
};

void expect_same_bits(const std::optional<double>& a, const std::optional<double>& b,
                      const char* what) {
  ASSERT_EQ(a.has_value(), b.has_value()) << what;
  if (a) {
    EXPECT_EQ(std::memcmp(&*a, &*b, sizeof(double)), 0) << what << " " << *a << " " << *b;
  }
}

void expect_same(const Frame& a, const Frame& b) {
  EXPECT_EQ(a.timestamp_text, b.timestamp_text);
  EXPECT_EQ(a.timestamp_s, b.timestamp_s);
  EXPECT_EQ(a.gpu_uuid, b.gpu_uuid);
  EXPECT_EQ(a.gpu_model, b.gpu_model);
  expect_same_bits(a.power_w, b.power_w, "power");
  expect_same_bits(a.energy_mj, b.energy_mj, "energy");
  expect_same_bits(a.sm_clock_mhz, b.sm_clock_mhz, "sm clock");
  expect_same_bits(a.mem_clock_mhz, b.mem_clock_mhz, "mem clock");
  expect_same_bits(a.temperature_c, b.temperature_c, "temperature");
  expect_same_bits(a.power_limit_w, b.power_limit_w, "power limit");
  ASSERT_EQ(a.instances.size(), b.instances.size());
  for (std::size_t i = 0; i < a.instances.size(); ++i) {
    const InstanceSample& x = a.instances[i];
    const InstanceSample& y = b.instances[i];
    EXPECT_EQ(x.gpu_i_id, y.gpu_i_id);
    EXPECT_EQ(x.profile, y.profile);
    EXPECT_EQ(x.compute_slices, y.compute_slices);
    EXPECT_EQ(x.memory_slices, y.memory_slices);
    EXPECT_EQ(x.workload, y.workload);
    expect_same_bits(x.truth_power_w, y.truth_power_w, "truth");
    expect_same_bits(x.fb_used_mib, y.fb_used_mib, "fb");
    for (std::size_t k = 0; k < kActivityCount; ++k) {
      expect_same_bits(x.activity[k], y.activity[k], "activity");
    }
  }
}

TEST_F(TraceRoundTrip, ReadsBackExactlyWhatWasWritten) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::uniform_real_distribution<double> watts(0.0, 700.0);
  std::bernoulli_distribution present(0.8);
  const auto maybe = [&](double value) -> std::optional<double> {
    return present(rng) ? std::optional<double>(value) : std::nullopt;
  };
  const std::vector<std::string> models = {"NVIDIA A100-SXM4-40GB", "NVIDIA H100 80GB HBM3",
                                           "Some Future GPU"};
  const std::vector<std::string> profiles = {"1g.10gb", "2g.20gb", "3g.40gb"};
  const std::vector<std::string> workloads = {"", "bert", "llm, decode", "say \"hi\"", "a\nb"};

  std::vector<Frame> written;
  for (int t = 0; t < 200; ++t) {
    for (std::size_t g = 0; g < models.size(); ++g) {  // GPUs interleaved at every instant
      Frame frame;
      frame.timestamp_text = std::to_string(1700000000 + t / 4) + "." + std::to_string(t % 4 * 25);
      frame.timestamp_s = std::stod(frame.timestamp_text);
      frame.gpu_uuid = "GPU-" + std::to_string(g);
      frame.gpu_model = models[g];
      frame.power_w = maybe(watts(rng));
      frame.energy_mj = maybe(std::floor(unit(rng) * 1e12));
      frame.sm_clock_mhz = maybe(1410);
      frame.mem_clock_mhz = maybe(1215.5);
      frame.temperature_c = maybe(unit(rng) * 90);
      frame.power_limit_w = maybe(400);
      const int count = static_cast<int>(rng() % 4);
      for (int i = 0; i < count; ++i) {
        InstanceSample sample;
        sample.gpu_i_id = i * 3 + static_cast<int>(g);
        sample.profile = profiles[static_cast<std::size_t>(i) % profiles.size()];
        const ResolvedProfile resolved =
            resolve_profile(find_gpu_model(frame.gpu_model), sample.profile);
        sample.compute_slices = resolved.compute_slices;
        sample.memory_slices = resolved.memory_slices;
        sample.workload = workloads[rng() % workloads.size()];
        sample.truth_power_w = maybe(watts(rng) / 7);
        for (auto& value : sample.activity) value = maybe(unit(rng));
        sample.activity[2] = maybe(1e-7);  // needs an exponent in shortest form
        sample.fb_used_mib = maybe(std::floor(unit(rng) * 80000));
        frame.instances.push_back(sample);
      }
      written.push_back(frame);
    }
  }
  {
    std::ofstream file(path_, std::ios::binary);
    TraceWriter writer(file);
    for (const Frame& frame : written) writer.write(frame);
  }
  TraceReader reader(path_);
  Frame frame;
  std::size_t index = 0;
  while (reader.next(frame)) {
    ASSERT_LT(index, written.size());
    expect_same(frame, written[index]);
    ++index;
  }
  EXPECT_EQ(index, written.size());
}

}  // namespace
}  // namespace migpower
