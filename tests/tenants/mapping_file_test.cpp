#include "tenants/mapping_file.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "core/error.hpp"
#include "tenants/fake_kubelet.hpp"

namespace migpower::tenants {
namespace {

using test::TempDir;

constexpr const char* kMapping =
    "# card                 GPU_I_ID  tenant\n"
    "GPU-c0                 1         team-vision   # the 3g.20gb\n"
    "GPU-c0\t2\tteam-nlp\r\n"
    "GPU-c0                 *         platform\n"
    "\n"
    "   MIG-m5   research\n";

TEST(MappingFile, ParsesInstancesCardsAndMigDevices) {
  const Mapping mapping = parse_mapping(kMapping, "tenants.map");
  EXPECT_EQ(mapping.size(), 4u);
  EXPECT_EQ(mapping.find({"GPU-c0", 1}, {}), "team-vision");
  EXPECT_EQ(mapping.find({"GPU-c0", 2}, {}), "team-nlp");
  // The card's '*' line takes its other instances.
  EXPECT_EQ(mapping.find({"GPU-c0", 9}, {}), "platform");
  EXPECT_FALSE(mapping.find({"GPU-c1", 1}, {}));
  // A MIG device's line comes first.
  const std::vector<std::string> migs = {"MIG-m5"};
  EXPECT_EQ(mapping.find({"GPU-c0", 1}, migs), "research");
  EXPECT_EQ(parse_mapping("", "empty.map").size(), 0u);
}

void expect_error(const std::string& text, const std::string& message) {
  try {
    (void)parse_mapping(text, "t.map");
    ADD_FAILURE() << "no error for: " << text;
  } catch (const LocatedError& error) {
    EXPECT_EQ(std::string(error.what()), message);
  }
}

TEST(MappingFile, ErrorsNameFileLineAndColumn) {
  expect_error("GPU-c0 1 a\n  GPU-c0 x a\n",
               "t.map:2: column 10: GPU_I_ID 'x' is not a number or '*'");
  expect_error("GPU-c0 -1 a\n", "t.map:1: column 8: GPU_I_ID '-1' is not a number or '*'");
  expect_error("\nnode-1 1 a\n",
               "t.map:2: column 1: 'node-1' is neither a card UUID (GPU-...) nor a MIG device "
               "UUID (MIG-...)");
  expect_error("GPU-c0 1\n",
               "t.map:1: column 1: a card line is 'GPU-<uuid> <GPU_I_ID or *> <tenant>' "
               "(found 2 fields)");
  expect_error("MIG-a b c\n",
               "t.map:1: column 1: a MIG device line is 'MIG-<uuid> <tenant>' (found 3 fields)");
  expect_error("GPU-c0 1 a\nGPU-c0 01 b\n",
               "t.map:2: column 1: 'GPU-c0 1' is mapped already on line 1");
  expect_error("GPU-c0 * a\nGPU-c0 * b\n",
               "t.map:2: column 1: 'GPU-c0 *' is mapped already on line 1");
}

void write(const std::filesystem::path& path, const std::string& text, int second) {
  std::ofstream(path) << text;
  // Distinct modification times, whatever the file system's granularity.
  std::filesystem::last_write_time(
      path, std::filesystem::file_time_type(std::chrono::seconds(1'700'000'000 + second)));
}

TEST(MappingFile, ReloadsWhenItChangesAndKeepsTheLastGoodOne) {
  const TempDir dir("mapping-reload");
  const auto path = dir.path() / "tenants.map";
  MappingFile file(path);
  std::string error;
  // Absent at first: an error, nothing loaded.
  EXPECT_TRUE(file.reload_if_changed(error));
  EXPECT_NE(error.find("missing"), std::string::npos);
  EXPECT_FALSE(file.loaded());
  EXPECT_FALSE(file.reload_if_changed(error));  // still absent: nothing new

  write(path, "GPU-c0 1 alpha\n", 1);
  EXPECT_TRUE(file.reload_if_changed(error));
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(file.mapping().find({"GPU-c0", 1}, {}), "alpha");
  EXPECT_FALSE(file.reload_if_changed(error));  // unchanged: not read again

  write(path, "GPU-c0 1 beta\n", 2);
  EXPECT_TRUE(file.reload_if_changed(error));
  EXPECT_EQ(file.mapping().find({"GPU-c0", 1}, {}), "beta");

  // A typo keeps the last good mapping, with the reason.
  write(path, "GPU-c0 one beta\n", 3);
  EXPECT_TRUE(file.reload_if_changed(error));
  EXPECT_NE(error.find("tenants.map:1: column 8"), std::string::npos) << error;
  EXPECT_EQ(file.mapping().find({"GPU-c0", 1}, {}), "beta");

  // So does a file deleted (a ConfigMap being swapped); it comes back changed.
  std::filesystem::remove(path);
  EXPECT_TRUE(file.reload_if_changed(error));
  EXPECT_NE(error.find("missing"), std::string::npos);
  EXPECT_EQ(file.mapping().find({"GPU-c0", 1}, {}), "beta");
  write(path, "GPU-c0 1 gamma\n", 4);
  EXPECT_TRUE(file.reload_if_changed(error));
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(file.mapping().find({"GPU-c0", 1}, {}), "gamma");
}

}  // namespace
}  // namespace migpower::tenants
