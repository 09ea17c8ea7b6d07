#pragma once

#include <httplib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace migpower {

// httplib's worker pool with a bounded queue: `workers` threads serve connections and at most
// `queued` more wait. When both are full, enqueue() blocks the accepting thread, so further
// clients wait in the kernel's listen backlog instead of growing memory without end (httplib's
// own ThreadPool queues without limit). The frame loop runs on its own thread and never waits
// on any of this.
class BoundedTaskQueue final : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(std::size_t workers, std::size_t queued);
  ~BoundedTaskQueue() override;
  BoundedTaskQueue(const BoundedTaskQueue&) = delete;
  BoundedTaskQueue& operator=(const BoundedTaskQueue&) = delete;

  void enqueue(std::function<void()> task) override;
  void shutdown() override;

 private:
  void work();

  std::size_t queued_;
  std::mutex mutex_;
  std::condition_variable has_task_;
  std::condition_variable has_room_;
  std::deque<std::function<void()>> tasks_;
  bool shutting_down_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace migpower
