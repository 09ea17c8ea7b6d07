#pragma once

// A TCP port on 127.0.0.1 that is free now, for a server a test starts (Prometheus,
// PostgreSQL). The system picks it; another process could take it before the server binds, a
// race the tests accept.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace migpower::test {

inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace migpower::test
