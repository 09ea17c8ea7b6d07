#include "serve/bounded_task_queue.hpp"

namespace migpower {

BoundedTaskQueue::BoundedTaskQueue(std::size_t workers, std::size_t queued) : queued_(queued) {
  workers_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

BoundedTaskQueue::~BoundedTaskQueue() { shutdown(); }

void BoundedTaskQueue::enqueue(std::function<void()> task) {
  std::unique_lock lock(mutex_);
  has_room_.wait(lock, [&] { return shutting_down_ || tasks_.size() < queued_; });
  // httplib shuts the queue down from the accepting thread after its last enqueue, so this is
  // not reached after shutdown; were it, dropping the task is all that is left to do.
  if (shutting_down_) return;
  tasks_.push_back(std::move(task));
  has_task_.notify_one();
}

void BoundedTaskQueue::shutdown() {
  {
    const std::lock_guard lock(mutex_);
    if (shutting_down_ && workers_.empty()) return;
    shutting_down_ = true;
  }
  has_task_.notify_all();
  has_room_.notify_all();
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  workers_.clear();
}

void BoundedTaskQueue::work() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      has_task_.wait(lock, [&] { return shutting_down_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // shutting down with nothing left to serve
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    has_room_.notify_one();
    task();
  }
}

}  // namespace migpower
