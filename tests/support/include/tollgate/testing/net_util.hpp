#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace tollgate::testing {

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then released).
std::uint16_t free_port();

/// Writes all of `data` to socket `fd` (no SIGPIPE); false when the peer is gone.
bool send_all(int fd, std::string_view data);

/// A blocking TCP socket connected to 127.0.0.1:port, with TCP_NODELAY and `timeout` on
/// every send and receive; -1 when the connection is refused.
int connect_loopback(std::uint16_t port, std::chrono::milliseconds timeout);

/// Polls until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

/// Peak resident set size (VmHWM) and current RSS of a process, in KiB.
long peak_rss_kib(int pid);
long current_rss_kib(int pid);

}  // namespace tollgate::testing
