#pragma once

#include <stdexcept>

namespace migpower::cli {

// A command line that cannot be run as given. The CLI maps it to exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace migpower::cli
