#pragma once

// A real process for end-to-end tests (the agent, a Prometheus server): started with fork/exec,
// its stdout and stderr in files, stopped by the test (SIGTERM, or SIGKILL for crash tests) and
// always killed by the destructor, so nothing outlives a failing test.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace migpower::test {

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, const std::filesystem::path& log_base)
      : out_(log_base.string() + ".out"), err_(log_base.string() + ".err") {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);  // its own process group: a signal reaches what it started (runuser)
      const int out = ::open(out_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int err = ::open(err_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      const int in = ::open("/dev/null", O_RDONLY);
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::dup2(in, 0);
      std::vector<char*> args;
      for (std::string& arg : argv) args.push_back(arg.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  ~ChildProcess() {
    if (running()) {
      ::kill(-pid_, SIGKILL);
      wait_exit(std::chrono::seconds(10));
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  [[nodiscard]] bool running() const { return pid_ > 0 && !status_; }
  // To the whole process group, so that a wrapper (runuser) and what it runs both get it.
  void signal(int number) const { ::kill(-pid_, number); }

  // The exit status (WEXITSTATUS, or 128 + the signal), or nullopt if still running at the limit.
  std::optional<int> wait_exit(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!status_) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        break;
      }
      if (std::chrono::steady_clock::now() > end) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return status_;
  }

  [[nodiscard]] std::string out() const { return read(out_); }
  [[nodiscard]] std::string err() const { return read(err_); }

  // Waits until stderr matches `pattern` and returns the first group, or "" at the limit.
  std::string wait_for_err(const std::string& pattern, std::chrono::milliseconds limit) {
    const std::regex regex(pattern);
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      std::smatch match;
      const std::string text = err();
      if (std::regex_search(text, match, regex)) return match.size() > 1 ? match[1].str() : "";
      if (wait_exit(std::chrono::milliseconds(0))) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "";
  }

 private:
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string out_;
  std::string err_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

}  // namespace migpower::test
