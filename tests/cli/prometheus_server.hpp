#pragma once

// A real Prometheus server (Debian's) for end-to-end tests: on a free loopback port, scraping the
// given loopback targets every second, its data in the test's folder, killed by the destructor.

#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "loopback_port.hpp"

namespace migpower::test {

inline constexpr const char* kPrometheusBinary = "/usr/bin/prometheus";

class PrometheusServer {
 public:
  // `targets`: job name and port of each thing to scrape on 127.0.0.1.
  PrometheusServer(const std::filesystem::path& dir,
                   const std::vector<std::pair<std::string, int>>& targets)
      : port_(free_loopback_port()), process_(command(dir, targets, port_), dir / "prometheus") {}

  // A client with bounded timeouts.
  [[nodiscard]] httplib::Client client() const {
    httplib::Client client("127.0.0.1", port_);
    client.set_connection_timeout(2, 0);
    client.set_read_timeout(10, 0);
    return client;
  }
  [[nodiscard]] ChildProcess& process() { return process_; }

 private:
  static std::vector<std::string> command(const std::filesystem::path& dir,
                                          const std::vector<std::pair<std::string, int>>& targets,
                                          int port) {
    std::ofstream config(dir / "prometheus.yml");
    config << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n";
    for (const auto& [job, target] : targets) {
      config << "  - job_name: " << job
             << "\n    static_configs:\n      - targets: ['127.0.0.1:" << target << "']\n";
    }
    config.close();
    return {kPrometheusBinary, "--config.file=" + (dir / "prometheus.yml").string(),
            "--storage.tsdb.path=" + (dir / "tsdb").string(),
            "--web.listen-address=127.0.0.1:" + std::to_string(port)};
  }

  int port_;
  ChildProcess process_;
};

}  // namespace migpower::test
