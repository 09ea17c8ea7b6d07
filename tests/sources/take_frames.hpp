#pragma once

#include <cstddef>
#include <vector>

#include "core/frame.hpp"

namespace migpower::test {

// Up to `count` frames from `source`: fewer when it ends first.
inline std::vector<Frame> take(FrameSource& source, std::size_t count) {
  std::vector<Frame> frames;
  Frame frame;
  while (frames.size() < count && source.next(frame)) frames.push_back(frame);
  return frames;
}

}  // namespace migpower::test
