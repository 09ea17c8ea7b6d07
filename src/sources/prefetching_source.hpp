#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/frame.hpp"

namespace migpower {

// Runs another source on a background thread, a few batches of frames ahead of the reader, so
// parsing a trace overlaps attributing and writing it. Frames come out in the same order; an
// error of the inner source is rethrown by next() after every frame read before it.
class PrefetchingSource : public FrameSource {
 public:
  // `inner` must outlive this object and is used only by the background thread until next()
  // has returned false (or this object is destroyed).
  explicit PrefetchingSource(FrameSource& inner, std::size_t batch_frames = 256,
                             std::size_t batches_ahead = 4);
  ~PrefetchingSource() override;
  PrefetchingSource(const PrefetchingSource&) = delete;
  PrefetchingSource& operator=(const PrefetchingSource&) = delete;

  bool next(Frame& out) override;

 private:
  struct Batch {
    std::vector<Frame> frames;
    std::size_t count = 0;
  };
  void produce();

  FrameSource& inner_;
  const std::size_t batch_frames_;
  const std::size_t batches_ahead_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Batch> full_;    // produced, not yet read
  std::vector<Batch> empty_;  // read, storage handed back for reuse
  bool done_ = false;         // the producer has finished (end or error)
  bool stop_ = false;         // the consumer is going away
  std::exception_ptr error_;
  Batch current_;  // the batch next() is reading; consumer only
  std::size_t position_ = 0;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace migpower
