#include "cli/output.hpp"

#include <iostream>

#include "core/error.hpp"

namespace migpower::cli {

Output::Output(const std::string& path) : path_(path), stdout_(&std::cout) {
  if (path.empty() || path == "-") return;
  file_ = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
  if (!*file_) throw InputError(path + ": cannot open for writing");
}

void Output::close() {
  stream().flush();
  if (!stream()) {
    throw InputError((path_.empty() ? std::string("standard output") : path_) + ": write failed");
  }
  if (file_) file_->close();
}

}  // namespace migpower::cli
