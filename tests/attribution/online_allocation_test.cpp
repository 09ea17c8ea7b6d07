// The online method allocates nothing per frame once warmed up: the global operator new is
// replaced for this test binary by one that counts calls (and otherwise behaves as usual).
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

#include "attribution/attributor.hpp"
#include "attribution/online_frame_model.hpp"
#include "counting_new.hpp"
#include "model/synthetic_card.hpp"

namespace migpower {
namespace {

TEST(OnlineMethod, AllocatesNothingPerFrameAfterWarmUp) {
  testing::SyntheticCard card(testing::SyntheticOptions{});
  std::vector<Frame> frames(1200);
  for (auto& frame : frames) ASSERT_TRUE(card.next(frame));
  Attributor attributor(AttributionOptions{}, std::make_unique<OnlineFrameModel>());
  FrameAttribution out;
  for (std::size_t k = 0; k < 200; ++k) attributor.attribute(frames[k], out);  // warm-up
  const long before = testing::allocation_count();
  for (std::size_t k = 200; k < frames.size(); ++k) attributor.attribute(frames[k], out);
  EXPECT_EQ(testing::allocation_count() - before, 0);
}

}  // namespace
}  // namespace migpower
