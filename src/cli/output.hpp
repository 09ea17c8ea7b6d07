#pragma once

#include <fstream>
#include <memory>
#include <ostream>
#include <string>

namespace migpower::cli {

// Standard output, or a file given by --out ("-" also means standard output).
class Output {
 public:
  explicit Output(const std::string& path);
  [[nodiscard]] std::ostream& stream() { return file_ ? *file_ : *stdout_; }
  // Flushes and reports a failed write (disk full, closed pipe) as an error.
  void close();

 private:
  std::string path_;
  std::ostream* stdout_;
  std::unique_ptr<std::ofstream> file_;
};

}  // namespace migpower::cli
