#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "core/frame.hpp"

namespace migpower::test {

// Hands out prepared frames, as a live source or a converter might.
class VectorSource : public FrameSource {
 public:
  explicit VectorSource(std::vector<Frame> frames) : frames_(std::move(frames)) {}
  bool next(Frame& out) override {
    if (next_ == frames_.size()) return false;
    out = frames_[next_++];
    return true;
  }

 private:
  std::vector<Frame> frames_;
  std::size_t next_ = 0;
};

}  // namespace migpower::test
