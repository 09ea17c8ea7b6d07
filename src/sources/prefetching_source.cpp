#include "sources/prefetching_source.hpp"

#include <utility>

namespace migpower {

PrefetchingSource::PrefetchingSource(FrameSource& inner, std::size_t batch_frames,
                                     std::size_t batches_ahead)
    : inner_(inner),
      batch_frames_(batch_frames > 0 ? batch_frames : 1),
      batches_ahead_(batches_ahead > 0 ? batches_ahead : 1),
      thread_([this] { produce(); }) {}

PrefetchingSource::~PrefetchingSource() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void PrefetchingSource::produce() {
  while (true) {
    Batch batch;
    {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return stop_ || full_.size() < batches_ahead_; });
      if (stop_) {
        done_ = true;
        return;
      }
      if (!empty_.empty()) {
        batch = std::move(empty_.back());
        empty_.pop_back();
      }
    }
    batch.frames.resize(batch_frames_);
    batch.count = 0;
    bool ended = false;
    std::exception_ptr error;
    try {
      while (batch.count < batch_frames_) {
        if (!inner_.next(batch.frames[batch.count])) {
          ended = true;
          break;
        }
        ++batch.count;
      }
    } catch (...) {  // delivered after the frames read before it
      error = std::current_exception();
      ended = true;
    }
    {
      std::lock_guard lock(mutex_);
      if (batch.count > 0) full_.push_back(std::move(batch));
      error_ = error;
      done_ = ended;
    }
    changed_.notify_all();
    if (ended) return;
  }
}

bool PrefetchingSource::next(Frame& out) {
  if (position_ == current_.count) {
    std::unique_lock lock(mutex_);
    if (!current_.frames.empty()) empty_.push_back(std::move(current_));
    current_ = Batch{};
    position_ = 0;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !full_.empty() || done_; });
    if (full_.empty()) {
      if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
      return false;
    }
    current_ = std::move(full_.front());
    full_.pop_front();
    changed_.notify_all();
  }
  // Swapping hands the caller's old storage back to the producer with the batch.
  std::swap(out, current_.frames[position_++]);
  return true;
}

}  // namespace migpower
