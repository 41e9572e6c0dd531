#pragma once
// A blocking client socket that speaks raw bytes, for tests that send what curl would
// not (malformed heads, pipelining, half-closes) and read the proxy's answer as text.
#include <chrono>
#include <cstdint>
#include <string>

namespace tollgate::testing {

/// Client socket to 127.0.0.1:port. Every read blocks until data, close or `timeout`
/// (SO_RCVTIMEO): a test waits on the peer, never on a sleep.
class raw_client {
 public:
  explicit raw_client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~raw_client();
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;

  bool send(const std::string& bytes);
  void shutdown_write();
  /// Reads one HTTP response (head + body by Content-Length / chunked / none for
  /// HEAD-like or bodiless statuses); empty on timeout or close before a head.
  std::string read_response(bool head_request = false);
  /// Reads until the peer closes (or the timeout); returns everything read.
  std::string read_until_close();
  /// True when the peer closed (EOF or reset) within `within`.
  bool closed_within(std::chrono::milliseconds within);
  int fd() const { return fd_; }

 private:
  bool fill();  // reads more into buffer_
  int fd_ = -1;
  std::string buffer_;
};

/// Basic credentials header for `user:password`.
std::string basic(const std::string& user_colon_password);

/// Status code of a raw response ("HTTP/1.1 407 ..." -> 407), 0 when none.
int status_of(const std::string& response);

}  // namespace tollgate::testing
