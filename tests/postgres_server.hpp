#pragma once

// A real PostgreSQL server (Debian's postgresql) for tests: initdb in a temp folder, listening
// on 127.0.0.1 on a free port (no unix socket: a temp folder's path may be too long for one),
// stopped (and the folder removed)
// by the test. PostgreSQL refuses to run as root: as root, it runs as the `postgres` user that
// the package creates (through runuser).

#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "loopback_port.hpp"

namespace migpower::test {

class PostgresServer {
 public:
  explicit PostgresServer(const std::filesystem::path& folder) : folder_(folder) {
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql")) {
      if (std::filesystem::exists(entry.path() / "bin" / "initdb")) bin_ = entry.path() / "bin";
    }
    std::filesystem::create_directories(folder_);
    if (::geteuid() == 0) {
      const passwd* user = ::getpwnam("postgres");
      if (user != nullptr) {
        (void)::chown(folder_.c_str(), user->pw_uid, user->pw_gid);
        as_user_ = {"/usr/sbin/runuser", "-u", "postgres", "--"};
      }
    }
    port_ = free_loopback_port();
    ChildProcess initdb(command({(bin_ / "initdb").string(), "-D", data(), "-A", "trust", "-U",
                                 "migpower", "--no-sync"}),
                        folder_ / "initdb");
    const std::optional<int> status = initdb.wait_exit(std::chrono::seconds(60));
    initialized_ = status == 0;
    if (!initialized_) {
      error_ = "initdb " + (status ? "exited " + std::to_string(*status) : "timed out") + ": " +
               initdb.out() + initdb.err();
    }
  }
  ~PostgresServer() { stop(); }
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  [[nodiscard]] bool found() const { return !bin_.empty(); }
  [[nodiscard]] const std::string& error() const { return error_; }

  // Starts (or starts again, on the same data and port); true once it accepts connections.
  bool start() {
    if (!initialized_) return false;
    server_ = std::make_unique<ChildProcess>(
        command({(bin_ / "postgres").string(), "-D", data(), "-p", std::to_string(port_), "-c",
                 "unix_socket_directories=", "-c", "listen_addresses=127.0.0.1", "-c",
                 "fsync=off"}),
        folder_ / "postgres");
    for (int attempt = 0; attempt < 300; ++attempt) {
      PGconn* connection = PQconnectdb(url().c_str());
      const bool ok = PQstatus(connection) == CONNECTION_OK;
      PQfinish(connection);
      if (ok) return true;
      if (server_->wait_exit(std::chrono::milliseconds(0))) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    error_ = server_->err();
    return false;
  }
  // A fast shutdown (SIGINT): clients are disconnected.
  void stop() {
    if (server_ && server_->running()) {
      server_->signal(SIGINT);
      server_->wait_exit(std::chrono::seconds(30));
    }
    server_.reset();
  }

  [[nodiscard]] std::string url() const {
    return "postgresql://migpower@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }

  // The first column of the first row of `sql`, as text ("" on error).
  [[nodiscard]] std::string query(const std::string& sql) const {
    PGconn* connection = PQconnectdb(url().c_str());
    std::string value;
    PGresult* result = PQexec(connection, sql.c_str());
    if (PQresultStatus(result) == PGRES_TUPLES_OK && PQntuples(result) > 0 &&
        PQgetisnull(result, 0, 0) == 0) {
      value = PQgetvalue(result, 0, 0);
    }
    PQclear(result);
    PQfinish(connection);
    return value;
  }

 private:
  std::string data() const { return (folder_ / "data").string(); }
  std::vector<std::string> command(std::vector<std::string> argv) const {
    std::vector<std::string> full = as_user_;
    full.insert(full.end(), argv.begin(), argv.end());
    return full;
  }

  std::filesystem::path folder_;
  std::filesystem::path bin_;
  std::vector<std::string> as_user_;
  int port_ = 0;
  bool initialized_ = false;
  std::string error_;
  std::unique_ptr<ChildProcess> server_;
};

}  // namespace migpower::test
