#pragma once

#include <chrono>
#include <cstddef>

namespace migpower::cli {

// Prints "N frames, R frames/s" on standard error about once a second while long work runs,
// only when standard error is a terminal, so logs and pipes stay clean.
class Progress {
 public:
  explicit Progress(const char* what);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void tick() {
    if (enabled_ && (++count_ & 0xFFF) == 0) maybe_print();
  }

 private:
  void maybe_print();

  const char* what_;
  bool enabled_;
  std::size_t count_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
  bool printed_ = false;
};

}  // namespace migpower::cli
