#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace migpower::test {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Runs the real migpower binary with `arguments` (a shell word list) and captures everything.
inline CommandResult run_migpower(const std::string& arguments) {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path();
  const auto base = "migpower-cli-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const auto out_path = dir / (base + ".out");
  const auto err_path = dir / (base + ".err");
  const std::string command = std::string(MIGPOWER_BINARY) + " " + arguments + " >" +
                              out_path.string() + " 2>" + err_path.string() + " </dev/null";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return result;
}

}  // namespace migpower::test
