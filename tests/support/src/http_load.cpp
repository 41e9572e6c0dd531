#include "tollgate/testing/http_load.hpp"
#include "tollgate/testing/net_util.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string_view>

namespace tollgate::testing {
namespace {

std::string base64(std::string_view in) {
  static constexpr char table[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    out += {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], table[v & 63]};
  }
  if (i + 1 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += {table[v >> 18], table[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += {table[v >> 18], table[(v >> 12) & 63], table[(v >> 6) & 63], '='};
  }
  return out;
}

int connect_to(std::uint16_t port, int timeout_seconds) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{timeout_seconds, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool header_says(std::string_view head, std::string_view name, std::string_view value) {
  std::string lower(head);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("\r\n" + std::string(name) + ": " + std::string(value)) != std::string::npos;
}

}  // namespace

std::string basic_credentials(const std::string& user, const std::string& password) {
  return "Basic " + base64(user + ":" + password);
}

std::string basic_credentials(const std::string& user) { return basic_credentials(user, user + "-pw"); }

http_load::http_load(settings s) : s_(std::move(s)) {
  request_ = "GET " + s_.url + " HTTP/1.1\r\nHost: " + s_.host +
             "\r\nProxy-Authorization: " + basic_credentials(s_.user) +
             "\r\nUser-Agent: tollgate-fault-test\r\n\r\n";
  for (int i = 0; i < s_.clients; ++i) threads_.emplace_back([this] { run(); });
}

http_load::~http_load() { stop(); }

void http_load::stop() {
  stop_ = true;
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

std::uint64_t http_load::count(int status) const {
  std::lock_guard lock(mutex_);
  const auto it = by_status_.find(status);
  return it == by_status_.end() ? 0 : it->second;
}

std::string http_load::summary() const {
  std::ostringstream out;
  out << "answered=" << answered() << " failures=" << failures();
  std::lock_guard lock(mutex_);
  for (const auto& [status, n] : by_status_) out << ' ' << status << ':' << n;
  return out.str();
}

void http_load::run() {
  int fd = -1;
  while (!stop_) {
    if (fd < 0) fd = connect_to(s_.proxy_port, s_.answer_timeout_seconds);
    if (fd < 0 || !one_request(fd)) {
      ++failures_;
      if (fd >= 0) ::close(fd);
      fd = -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  if (fd >= 0) ::close(fd);
}

// Sends one request and reads its answer (Content-Length bodies: the proxy's own
// pages and the test origin's files both have one). Closes and clears `fd` when the
// answer ends the connection.
bool http_load::one_request(int& fd) {
  if (!send_all(fd, request_)) return false;
  std::string in;
  char buf[16384];
  std::size_t head_end = std::string::npos;
  while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    in.append(buf, static_cast<std::size_t>(n));
  }
  const std::string_view head(in.data(), head_end + 2);
  if (head.size() < 12 || head.substr(0, 5) != "HTTP/") return false;
  const int status = std::atoi(std::string(head.substr(9, 3)).c_str());
  std::size_t length = 0;
  {
    std::string lower(head);
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) return false;
    length = std::strtoull(lower.c_str() + at + 17, nullptr, 10);
  }
  std::size_t have = in.size() - head_end - 4;
  while (have < length) {
    const auto n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    have += static_cast<std::size_t>(n);
  }
  ++answered_;
  {
    std::lock_guard lock(mutex_);
    ++by_status_[status];
  }
  if (header_says(head, "connection", "close")) {
    ::close(fd);
    fd = -1;
  }
  return true;
}

}  // namespace tollgate::testing
