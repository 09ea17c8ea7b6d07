#include "core/catalog.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/fields.hpp"

namespace migpower {
namespace {

TEST(Catalog, FindsModelsByNvmlNames) {
  ASSERT_NE(find_gpu_model("NVIDIA A100-SXM4-40GB"), nullptr);
  EXPECT_EQ(find_gpu_model("NVIDIA A100-SXM4-40GB")->key, "A100-SXM4-40GB");
  EXPECT_EQ(find_gpu_model("NVIDIA A100-SXM4-80GB")->key, "A100-80GB");
  EXPECT_EQ(find_gpu_model("NVIDIA A100 80GB PCIe")->key, "A100-80GB");
  EXPECT_EQ(find_gpu_model("NVIDIA A30")->key, "A30-24GB");
  EXPECT_EQ(find_gpu_model("NVIDIA H100 80GB HBM3")->key, "H100-80GB");
  EXPECT_EQ(find_gpu_model("NVIDIA H200")->key, "H200-141GB");
  EXPECT_EQ(find_gpu_model("h100-80gb")->key, "H100-80GB");
  EXPECT_EQ(find_gpu_model("NVIDIA GeForce RTX 4090"), nullptr);
}

TEST(Catalog, EveryModelHasConsistentProfiles) {
  for (const auto& model : gpu_catalog()) {
    EXPECT_GT(model.tdp_w, model.idle_w) << model.key;
    EXPECT_FALSE(model.profiles.empty()) << model.key;
    for (const auto& p : model.profiles) {
      EXPECT_LE(p.compute_slices, model.compute_slices) << model.key << " " << p.name;
      EXPECT_LE(p.memory_slices, model.memory_slices) << model.key << " " << p.name;
      EXPECT_LE(p.sm_count, model.sm_count) << model.key << " " << p.name;
      ASSERT_FALSE(p.starts.empty()) << p.name;
      EXPECT_LE(p.starts.back() + p.compute_slices, model.compute_slices) << p.name;
      const auto parsed = parse_profile_name(p.name);
      ASSERT_TRUE(parsed.has_value()) << p.name;
      EXPECT_EQ(parsed->compute_slices, p.compute_slices) << p.name;
    }
  }
}

TEST(Catalog, A100ProfilesMatchNvidiaTables) {
  const GpuModel* a100 = find_gpu_model("A100-SXM4-40GB");
  ASSERT_NE(a100, nullptr);
  const MigProfile* p = a100->find_profile("3g.20gb");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->compute_slices, 3);
  EXPECT_EQ(p->memory_slices, 4);
  EXPECT_EQ(p->sm_count, 42);
  EXPECT_EQ(a100->find_profile("1g.5gb")->sm_count, 14);
  EXPECT_EQ(find_gpu_model("H100-80GB")->find_profile("1g.10gb")->sm_count, 16);
  EXPECT_EQ(a100->find_profile("3g.40gb"), nullptr);
}

TEST(Catalog, ParsesProfileNames) {
  EXPECT_EQ(parse_profile_name("3g.20gb")->compute_slices, 3);
  EXPECT_DOUBLE_EQ(parse_profile_name("1g.5gb+me")->memory_gb, 5.0);
  EXPECT_DOUBLE_EQ(parse_profile_name("1g.12.5gb")->memory_gb, 12.5);
  EXPECT_FALSE(parse_profile_name("3g").has_value());
  EXPECT_FALSE(parse_profile_name("g.20gb").has_value());
  EXPECT_FALSE(parse_profile_name("3g.20").has_value());
  EXPECT_FALSE(parse_profile_name("3g.20gbx").has_value());
  EXPECT_FALSE(parse_profile_name("0g.20gb").has_value());
}

TEST(Catalog, ResolvesUnknownModelsFromProfileName) {
  const ResolvedProfile known = resolve_profile(find_gpu_model("A100-SXM4-40GB"), "2g.10gb");
  EXPECT_TRUE(known.from_catalog);
  EXPECT_EQ(known.memory_slices, 2);
  const ResolvedProfile parsed = resolve_profile(nullptr, "2g.48gb");
  EXPECT_FALSE(parsed.from_catalog);
  EXPECT_EQ(parsed.compute_slices, 2);
  EXPECT_THROW((void)resolve_profile(nullptr, "big"), InputError);
}

TEST(Catalog, PlacesValidLayoutsAndRejectsInvalidOnes) {
  const GpuModel& a100 = *find_gpu_model("A100-SXM4-40GB");
  using Names = std::vector<std::string>;
  EXPECT_TRUE(place_profiles(a100, Names{"3g.20gb", "2g.10gb", "1g.5gb", "1g.5gb"}).has_value());
  EXPECT_TRUE(place_profiles(a100, Names(7, "1g.5gb")).has_value());
  EXPECT_TRUE(place_profiles(a100, Names{"4g.20gb", "3g.20gb"}).has_value());
  EXPECT_FALSE(place_profiles(a100, Names(8, "1g.5gb")).has_value());
  EXPECT_FALSE(place_profiles(a100, Names{"4g.20gb", "4g.20gb"}).has_value());
  EXPECT_FALSE(place_profiles(a100, Names{"7g.40gb", "1g.5gb"}).has_value());
  EXPECT_FALSE(place_profiles(a100, Names{"1g.5gb+me", "1g.5gb+me"}).has_value());
  EXPECT_FALSE(place_profiles(a100, Names{"5g.25gb"}).has_value());
  // Four 2-memory-slice 1g instances use all 8 memory slices; a fifth cannot fit.
  EXPECT_FALSE(place_profiles(a100, Names(5, "1g.10gb")).has_value());
  const auto starts = place_profiles(a100, Names{"1g.5gb", "3g.20gb"});
  ASSERT_TRUE(starts.has_value());
  EXPECT_TRUE((*starts)[1] == 0 || (*starts)[1] == 4);
  EXPECT_NE((*starts)[0], (*starts)[1]);
}

TEST(Fields, ParsesLongAndShortActivityNames) {
  EXPECT_EQ(parse_activity("DCGM_FI_PROF_GR_ENGINE_ACTIVE"), Activity::gr_engine);
  EXPECT_EQ(parse_activity("GR_ENGINE_ACTIVE"), Activity::gr_engine);
  EXPECT_EQ(parse_activity("tensor"), Activity::tensor);
  EXPECT_EQ(parse_activity("TENSOR_ACTIVE"), Activity::tensor);
  EXPECT_EQ(parse_activity("dram_active"), Activity::dram);
  EXPECT_FALSE(parse_activity("power").has_value());
}

}  // namespace
}  // namespace migpower
