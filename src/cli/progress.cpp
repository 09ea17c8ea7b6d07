#include "cli/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace migpower::cli {

Progress::Progress(const char* what)
    : what_(what),
      enabled_(isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  if (printed_) std::fputs("\n", stderr);
}

void Progress::maybe_print() {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::seconds(1)) return;
  last_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  std::fprintf(stderr, "\r%s: %zu frames, %.0f frames/s", what_, count_,
               static_cast<double>(count_) / seconds);
  printed_ = true;
}

}  // namespace migpower::cli
