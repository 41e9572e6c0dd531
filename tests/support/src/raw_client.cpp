#include "tollgate/testing/raw_client.hpp"

#include "tollgate/testing/net_util.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace tollgate::testing {

raw_client::raw_client(std::uint16_t port, std::chrono::milliseconds timeout)
    : fd_(connect_loopback(port, timeout)) {}

raw_client::~raw_client() {
  if (fd_ >= 0) ::close(fd_);
}

bool raw_client::send(const std::string& bytes) { return send_all(fd_, bytes); }

void raw_client::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

bool raw_client::fill() {
  char b[65536];
  auto n = ::recv(fd_, b, sizeof b, 0);
  // A signal meant for another thread of the test process (one that runs the proxy in
  // process) interrupts the wait; it is no answer from the peer.
  while (n < 0 && errno == EINTR) n = ::recv(fd_, b, sizeof b, 0);
  if (n <= 0) return false;
  buffer_.append(b, static_cast<std::size_t>(n));
  return true;
}

std::string raw_client::read_response(bool head_request) {
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return {};
  }
  std::string head = buffer_.substr(0, end + 4);
  std::string lower = head;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const int status = status_of(head);
  std::size_t total = end + 4;
  const bool no_body = head_request || (status >= 100 && status < 200) || status == 204 || status == 304;
  if (!no_body) {
    if (auto cl = lower.find("\ncontent-length:"); cl != std::string::npos) {
      total += std::stoul(lower.substr(cl + 16));
      while (buffer_.size() < total) {
        if (!fill()) break;
      }
    } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      // Walk chunks until the last one.
      std::size_t pos = total;
      for (;;) {
        std::size_t eol;
        while ((eol = buffer_.find("\r\n", pos)) == std::string::npos) {
          if (!fill()) return buffer_;
        }
        const auto size = std::stoul(buffer_.substr(pos, eol - pos), nullptr, 16);
        pos = eol + 2 + size + 2;
        while (buffer_.size() < pos) {
          if (!fill()) return buffer_;
        }
        if (size == 0) break;
      }
      total = pos;
    } else if (lower.find("\nconnection: close") != std::string::npos) {
      // Close-delimited body.
      while (fill()) {
      }
      total = buffer_.size();
    }  // else: no body (e.g. 200 to CONNECT)
  }
  total = std::min(total, buffer_.size());
  std::string out = buffer_.substr(0, total);
  buffer_.erase(0, total);
  return out;
}

std::string raw_client::read_until_close() {
  while (fill()) {
  }
  std::string out;
  out.swap(buffer_);
  return out;
}

bool raw_client::closed_within(std::chrono::milliseconds within) {
  const auto end = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < end) {
    char b[4096];
    const auto n = ::recv(fd_, b, sizeof b, 0);
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;  // receive timeout tick, signal
      return errno == ECONNRESET;
    }
    buffer_.append(b, static_cast<std::size_t>(n));
  }
  return false;
}

std::string basic(const std::string& up) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned val = 0;
  int bits = -6;
  for (unsigned char c : up) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(tbl[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(tbl[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return "Basic " + out;
}

int status_of(const std::string& response) {
  if (response.size() < 12 || response.compare(0, 5, "HTTP/") != 0) return 0;
  return std::atoi(response.c_str() + 9);
}

}  // namespace tollgate::testing
