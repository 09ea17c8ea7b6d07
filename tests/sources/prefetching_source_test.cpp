#include "sources/prefetching_source.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "core/error.hpp"

namespace migpower {
namespace {

// Counts up; optionally fails after `fail_after` frames.
class CountingSource : public FrameSource {
 public:
  CountingSource(int total, int fail_after = -1) : total_(total), fail_after_(fail_after) {}
  bool next(Frame& out) override {
    if (produced_ == fail_after_) throw InputError("broken at " + std::to_string(produced_));
    if (produced_ == total_) return false;
    out.clear();
    out.timestamp_s = produced_;
    out.gpu_uuid = "GPU-" + std::to_string(produced_ % 3);
    out.instances.resize(static_cast<std::size_t>(produced_ % 4));
    ++produced_;
    return true;
  }

 private:
  int total_;
  int fail_after_;
  int produced_ = 0;
};

TEST(PrefetchingSource, YieldsEveryFrameInOrder) {
  for (const std::size_t batch : {1u, 3u, 256u}) {
    CountingSource inner(1000);
    PrefetchingSource source(inner, batch, 2);
    Frame frame;
    int expected = 0;
    while (source.next(frame)) {
      ASSERT_EQ(frame.timestamp_s, expected);
      EXPECT_EQ(frame.gpu_uuid, "GPU-" + std::to_string(expected % 3));
      EXPECT_EQ(frame.instances.size(), static_cast<std::size_t>(expected % 4));
      ++expected;
    }
    EXPECT_EQ(expected, 1000) << "batch " << batch;
    EXPECT_FALSE(source.next(frame));  // stays at the end
  }
}

TEST(PrefetchingSource, RethrowsAfterTheFramesReadBeforeTheError) {
  CountingSource inner(1000, 517);
  PrefetchingSource source(inner, 64, 3);
  Frame frame;
  int read = 0;
  try {
    while (source.next(frame)) ++read;
    FAIL() << "the error was swallowed";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "broken at 517");
  }
  EXPECT_EQ(read, 517);
}

TEST(PrefetchingSource, CanBeAbandonedBeforeTheEnd) {
  CountingSource inner(100000);
  PrefetchingSource source(inner, 16, 2);
  Frame frame;
  ASSERT_TRUE(source.next(frame));
  EXPECT_EQ(frame.timestamp_s, 0);
  // Destruction stops the producer without reading the rest.
}

TEST(PrefetchingSource, EmptySourceEndsAtOnce) {
  CountingSource inner(0);
  PrefetchingSource source(inner);
  Frame frame;
  EXPECT_FALSE(source.next(frame));
}

}  // namespace
}  // namespace migpower
