#include "sources/shared_library.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace migpower {
namespace {

TEST(SharedLibraryTest, MissingLibraryIsNotOpenAndSaysWhy) {
  const SharedLibrary library("/nonexistent/libmigpower-missing.so");
  EXPECT_FALSE(library.is_open());
  EXPECT_NE(library.open_error().find("libmigpower-missing.so"), std::string::npos)
      << library.open_error();
  double (*cosine)(double) = nullptr;
  EXPECT_FALSE(library.resolve("cos", cosine));
  EXPECT_EQ(cosine, nullptr);
}

TEST(SharedLibraryTest, ResolvesFunctionsByNameAndNullsMissingOnes) {
  const SharedLibrary library("libm.so.6");
  ASSERT_TRUE(library.is_open()) << library.open_error();
  EXPECT_TRUE(library.open_error().empty());
  double (*cosine)(double) = nullptr;
  ASSERT_TRUE(library.resolve("cos", cosine));
  EXPECT_DOUBLE_EQ(cosine(0.0), 1.0);
  EXPECT_FALSE(library.resolve("migpower_no_such_symbol", cosine));
  EXPECT_EQ(cosine, nullptr);
}

TEST(SharedLibraryTest, PathFromEnvironmentUnlessUnsetOrEmpty) {
  const char* variable = "MIGPOWER_SHARED_LIBRARY_TEST_PATH";
  ::unsetenv(variable);
  EXPECT_EQ(library_path_from_env(variable, "libdefault.so.1"), "libdefault.so.1");
  ::setenv(variable, "", 1);
  EXPECT_EQ(library_path_from_env(variable, "libdefault.so.1"), "libdefault.so.1");
  ::setenv(variable, "/opt/lib/libother.so", 1);
  EXPECT_EQ(library_path_from_env(variable, "libdefault.so.1"), "/opt/lib/libother.so");
  ::unsetenv(variable);
}

TEST(SharedLibraryTest, CallFailureMessageNamesCallMeaningCodeAndDetail) {
  EXPECT_EQ(call_failure_message("nvmlInit_v2", "the GPU is lost", "NVML", 15, "GPU is lost"),
            "nvmlInit_v2: the GPU is lost (NVML error 15: GPU is lost)");
  EXPECT_EQ(call_failure_message("dcgmConnect", "timed out", "DCGM", -11, ""),
            "dcgmConnect: timed out (DCGM error -11)");
  EXPECT_EQ(call_failure_message("dcgmConnect", "timed out", "DCGM", -11, nullptr),
            "dcgmConnect: timed out (DCGM error -11)");
}

TEST(SharedLibraryTest, LibraryErrorIsAnInputErrorWithTheCode) {
  try {
    throw LibraryError(-25, "dcgm: libdcgm.so.4 not found");
  } catch (const InputError& error) {
    EXPECT_STREQ(error.what(), "dcgm: libdcgm.so.4 not found");
    ASSERT_NE(dynamic_cast<const LibraryError*>(&error), nullptr);
    EXPECT_EQ(dynamic_cast<const LibraryError&>(error).code(), -25);
  }
}

}  // namespace
}  // namespace migpower
