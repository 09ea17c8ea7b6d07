// The --state file: written atomically, read back, and refused (with the reason, nothing
// loaded) when it is of another version, method or idle policy, or malformed.

#include "serve/state_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "attribution/method_factory.hpp"
#include "core/error.hpp"
#include "sim/simulator.hpp"

namespace migpower {
namespace {

AgentIdentity identity() { return {"node-1", "online", "slices", "0.1.0"}; }

class StateFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migpower-state-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "state.json").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A state after a minute of the simulator.
  std::string learnt_state() {
    LiveAttribution live(make_attributor(MethodChoice{}), identity(), 0.0);
    Simulator simulator(SimulationOptions{"mixed", 1, 60.0, 1.0});
    Frame frame;
    while (simulator.next(frame)) live.add(frame, frame.timestamp_s);
    return agent_state_text(live, identity());
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(StateFileTest, WritesAtomicallyAndReadsBack) {
  write_file_atomically(path_, "old");
  write_file_atomically(path_, learnt_state());
  EXPECT_FALSE(std::filesystem::exists(path_ + ".tmp"));
  LiveAttribution fresh(make_attributor(MethodChoice{}), identity(), 0.0);
  EXPECT_EQ(load_agent_state(path_, identity(), fresh), std::optional<std::string>(""));
}

TEST_F(StateFileTest, AMissingFileIsAFirstStart) {
  LiveAttribution fresh(make_attributor(MethodChoice{}), identity(), 0.0);
  EXPECT_EQ(load_agent_state(path_, identity(), fresh), std::nullopt);
}

TEST_F(StateFileTest, AFileOfAnotherVersionMethodOrPolicyIsRefused) {
  write_file_atomically(path_, learnt_state());
  LiveAttribution fresh(make_attributor(MethodChoice{}), identity(), 0.0);
  AgentIdentity newer = identity();
  newer.version = "0.2.0";
  EXPECT_NE(load_agent_state(path_, newer, fresh)->find("written by migpower \"0.1.0\""),
            std::string::npos);
  AgentIdentity other_policy = identity();
  other_policy.idle_policy = "none";
  EXPECT_NE(load_agent_state(path_, other_policy, fresh)->find("idle policy \"slices\""),
            std::string::npos);
}

TEST_F(StateFileTest, AMalformedFileIsRefusedWithTheFieldNamed) {
  std::string text = learnt_state();
  text.replace(text.find("\"frames_learnt\""), 15, "\"frames_lernt\"");
  std::ofstream(path_) << text;
  LiveAttribution fresh(make_attributor(MethodChoice{}), identity(), 0.0);
  const auto refused = load_agent_state(path_, identity(), fresh);
  ASSERT_TRUE(refused.has_value());
  EXPECT_NE(refused->find("cards[0].model.model"), std::string::npos) << *refused;
  EXPECT_NE(refused->find("frames_lernt"), std::string::npos) << *refused;
  std::ofstream(path_) << "{ not json";
  EXPECT_EQ(*load_agent_state(path_, identity(), fresh), path_ + " is not a JSON object");
}

TEST_F(StateFileTest, AnUnwritableFolderIsAnErrorAndTheOldFileStays) {
  write_file_atomically(path_, "old");
  EXPECT_THROW(write_file_atomically((dir_ / "no-such-folder" / "state.json").string(), "x"),
               InputError);
  std::ifstream in(path_);
  std::string text;
  in >> text;
  EXPECT_EQ(text, "old");
}

}  // namespace
}  // namespace migpower
