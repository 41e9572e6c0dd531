#include "tollgate/testing/http_load.hpp"
#include "tollgate/testing/net_util.hpp"
#include "tollgate/testing/raw_client.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string_view>

namespace tollgate::testing {
namespace {

bool header_says(std::string_view head, std::string_view name, std::string_view value) {
  std::string lower(head);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("\r\n" + std::string(name) + ": " + std::string(value)) != std::string::npos;
}

}  // namespace

std::string basic_credentials(const std::string& user, const std::string& password) {
  return basic(user + ":" + password);
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
    if (fd < 0) fd = connect_loopback(s_.proxy_port, std::chrono::seconds(s_.answer_timeout_seconds));
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
