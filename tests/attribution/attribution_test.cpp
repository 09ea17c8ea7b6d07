#include "attribution/attribution.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace migpower {
namespace {

TEST(Attribution, IdlePolicyRoundTrips) {
  for (IdlePolicy p : {IdlePolicy::slices, IdlePolicy::active, IdlePolicy::none}) {
    EXPECT_EQ(parse_idle_policy(to_string(p)), p);
  }
  EXPECT_EQ(to_string(IdlePolicy::active), "active");
}

TEST(Attribution, SplitMethodRoundTrips) {
  for (SplitMethod m : {SplitMethod::equal, SplitMethod::slices, SplitMethod::utilization}) {
    EXPECT_EQ(parse_split_method(to_string(m)), m);
  }
  EXPECT_EQ(to_string(SplitMethod::utilization), "utilization");
}

TEST(Attribution, BadNamesNameTheAcceptedValues) {
  try {
    (void)parse_idle_policy("busy");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("busy"), std::string::npos);
    EXPECT_NE(what.find("slices, active, none"), std::string::npos);
  }
  try {
    (void)parse_split_method("Equal");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("equal, slices, utilization"), std::string::npos);
  }
  EXPECT_THROW((void)parse_split_method(""), InputError);
}

TEST(Attribution, DefaultsAreUtilizationAndSlices) {
  const AttributionOptions options;
  EXPECT_EQ(options.method, SplitMethod::utilization);
  EXPECT_EQ(options.idle_policy, IdlePolicy::slices);
  EXPECT_EQ(options.utilization_field, Activity::gr_engine);
}

}  // namespace
}  // namespace migpower
