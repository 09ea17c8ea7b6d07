#include "sources/live_clock.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <thread>

namespace migpower {
namespace {

// The self-pipe that wake_live_sleepers() writes to and waits poll; -1 until the system clock
// exists (then nobody waits on it, and there is nothing to wake).
std::atomic<int> g_wake_read_fd{-1};
std::atomic<int> g_wake_write_fd{-1};
static_assert(std::atomic<int>::is_always_lock_free);  // read in a signal handler

// The longest single wait: bounds how late a wait sees a stop flag that was set without a wake,
// or whose wake another thread's wait consumed.
constexpr double kLongestWait_s = 1.0;
// Without a pipe (pipe2 failed), the old way: short slices, so a stop is seen promptly.
constexpr double kSliceWithoutPipe_s = 0.05;

class SystemLiveClock : public LiveClock {
 public:
  SystemLiveClock() {
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC | O_NONBLOCK) == 0) {
      g_wake_read_fd.store(fds[0]);
      g_wake_write_fd.store(fds[1]);
    }
  }

  double now_s() override {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  bool sleep_until(double t, const std::atomic<bool>* stop) override {
    const int wake_fd = g_wake_read_fd.load();
    while (true) {
      if (stop != nullptr && stop->load()) return false;
      const double left = t - now_s();
      if (left <= 0.0) return true;
      if (wake_fd < 0) {
        std::this_thread::sleep_for(
            std::chrono::duration<double>(std::min(left, kSliceWithoutPipe_s)));
        continue;
      }
      pollfd wake{wake_fd, POLLIN, 0};
      const auto timeout_ms = static_cast<int>(std::ceil(std::min(left, kLongestWait_s) * 1e3));
      if (::poll(&wake, 1, timeout_ms) > 0) drain(wake_fd);
      // A timeout, a wake or EINTR (a signal on this thread): the loop checks the flag and time.
    }
  }

 private:
  static void drain(int fd) {
    std::array<char, 64> bytes{};
    while (::read(fd, bytes.data(), bytes.size()) > 0) {
    }
  }
};

}  // namespace

LiveClock& system_live_clock() {
  static SystemLiveClock clock;
  return clock;
}

void wake_live_sleepers() noexcept {
  const int fd = g_wake_write_fd.load();
  if (fd < 0) return;
  const int saved_errno = errno;  // a signal handler must leave errno as it found it
  const char byte = 1;
  [[maybe_unused]] const auto written = ::write(fd, &byte, 1);  // full pipe: already awake
  errno = saved_errno;
}

bool ManualClock::sleep_until(double t, const std::atomic<bool>* stop) {
  if (stop != nullptr && stop->load()) return false;
  now_ = std::max(now_, t);
  if (on_sleep) on_sleep(now_);
  return stop == nullptr || !stop->load();
}

}  // namespace migpower
