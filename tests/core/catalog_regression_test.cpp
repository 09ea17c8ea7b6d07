// Inputs the fuzzers (fuzz/profile_name_fuzz) found to be mishandled; each test failed before
// its fix.

#include <gtest/gtest.h>

#include <string>

#include "core/catalog.hpp"
#include "core/error.hpp"

namespace migpower {
namespace {

// from_chars reads "nan", "inf" and "infinity" as doubles, so these passed for "Ng.Mgb" with a
// memory size of NaN or infinity.
TEST(CatalogRegressionTest, ProfileNameWithNonFiniteMemoryIsNotAProfile) {
  for (const std::string name : {"1g.nangb", "2g.infgb", "3g.infinitygb", "1g.NaNgb+me"}) {
    EXPECT_FALSE(parse_profile_name(name).has_value()) << name;
    EXPECT_THROW((void)resolve_profile(nullptr, name), InputError) << name;
  }
  // The well-formed neighbours still parse.
  const auto parsed = parse_profile_name("2g.12gb");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->compute_slices, 2);
  EXPECT_DOUBLE_EQ(parsed->memory_gb, 12.0);
}

}  // namespace
}  // namespace migpower
