// NvmlSource::next allocates nothing once a layout's first frames are read: a live agent reads a
// card every second for months. Counted by replacing the global operator new in this binary
// (counting only; memory still comes from malloc).

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "counting_new.hpp"
#include "sources/nvml/fake_nvml.hpp"
#include "sources/nvml/nvml_source.hpp"

namespace migpower {
namespace {

TEST(NvmlAllocation, SteadyFramesAllocateNothing) {
  nlohmann::json h100 = test::a100_mig_card("GPU-h100h100-0000-0000-0000-000000000003");
  h100["name"] = "NVIDIA H100 80GB HBM3";
  h100["gpm"] = true;
  for (auto& instance : h100["mig_layouts"][0]["instances"]) {
    instance["profile"] = "1g.10gb";
    instance["gpm_metrics"] = {{"SM_UTIL", {10, 20, 30}}, {"DRAM_BW_UTIL", 5}};
  }
  test::FakeNvml fake(test::scenario({test::a100_mig_card(), h100, test::full_card()}));
  ManualClock clock;
  test::tick_fake_on_sleep(clock, fake);
  NvmlSourceOptions options = fake.options(clock);
  options.layout_check_interval_s = 1e9;  // a layout check allocates; it runs every 10 s
  NvmlSource source(options);
  Frame frame;
  for (int i = 0; i < 3 * 3; ++i) ASSERT_TRUE(source.next(frame));  // three ticks: GPM pairs
  const long before = testing::allocation_count();
  for (int i = 0; i < 3 * 20; ++i) ASSERT_TRUE(source.next(frame));
  EXPECT_EQ(testing::allocation_count() - before, 0);
  EXPECT_TRUE(frame.instances[0].get(Activity::gr_engine));  // the frames were real
}

}  // namespace
}  // namespace migpower
