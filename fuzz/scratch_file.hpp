#pragma once

// The fuzz input as a file, for targets whose parser opens a path: one file per process (in
// /dev/shm), so parallel jobs do not collide.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace migpower::fuzz {

// Writes `data` to this process's scratch file named after `target` and returns its path.
inline const std::string& write_scratch_file(const char* target, const std::uint8_t* data,
                                             std::size_t size) {
  static const std::string path =
      "/dev/shm/migpower_" + std::string(target) + "_" + std::to_string(::getpid()) + ".csv";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size)) {
    std::fprintf(stderr, "%s: cannot write the scratch file %s\n", target, path.c_str());
    std::abort();
  }
  std::fclose(f);
  return path;
}

}  // namespace migpower::fuzz
