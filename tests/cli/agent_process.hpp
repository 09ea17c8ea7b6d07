#pragma once

// `migpower serve` as a real process on a loopback port the system chose, for end-to-end tests.

#include <httplib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace migpower::test {

class AgentProcess {
 public:
  // `arguments` after `migpower serve`; --listen 127.0.0.1:0 is added.
  AgentProcess(const std::vector<std::string>& arguments, const std::filesystem::path& log_base)
      : process_(command(arguments), log_base) {
    const std::string port = process_.wait_for_err(R"(on http://127\.0\.0\.1:([0-9]+)/metrics)",
                                                   std::chrono::seconds(20));
    port_ = port.empty() ? 0 : std::stoi(port);
  }

  [[nodiscard]] int port() const { return port_; }
  [[nodiscard]] ChildProcess& process() { return process_; }

  // A client with short timeouts: a test never hangs on the agent.
  [[nodiscard]] httplib::Client client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(5, 0);
    return client;
  }

  // Polls `path` until `ready` says so (at most `limit`); the last body, or "" on timeout.
  template <typename Ready>
  std::string poll(const std::string& path, Ready ready,
                   std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    std::string body;
    while (std::chrono::steady_clock::now() < end) {
      httplib::Client http = client();
      if (auto response = http.Get(path.c_str())) {
        body = response->body;
        if (ready(*response)) return body;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return "";
  }

 private:
  static std::vector<std::string> command(const std::vector<std::string>& arguments) {
    std::vector<std::string> argv{MIGPOWER_BINARY, "serve", "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    return argv;
  }

  ChildProcess process_;
  int port_ = 0;
};

}  // namespace migpower::test
