#pragma once
// An HTTP origin server on 127.0.0.1:0 inside the test process, for the in-process proxy
// tests: it answers every request and remembers what reached it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace tollgate::testing {

/// Answers each request with 200 and the body "origin saw <method> <target>\n", keeping
/// the connection alive when the request allows. The response also carries hop-by-hop
/// headers (`Connection: X-Origin-Hop`, `X-Origin-Hop`, `Keep-Alive`) that a proxy must
/// not pass on. Runs on a thread of its own from construction to destruction.
class in_process_origin {
 public:
  struct request {
    std::string method;
    std::string target;
    std::vector<std::pair<std::string, std::string>> fields;  ///< in arrival order
    std::string body;
    /// The value of the first field named `name` (case-insensitive); empty when absent.
    std::string field(std::string_view name) const;
    bool has(std::string_view name) const;
  };

  in_process_origin();
  ~in_process_origin();
  in_process_origin(const in_process_origin&) = delete;
  in_process_origin& operator=(const in_process_origin&) = delete;

  std::uint16_t port() const { return port_; }
  /// The requests so far, once there are at least `count` (or the timeout passed).
  std::vector<request> wait_for(std::size_t count, std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;

  void seen(request r);  ///< called by its sessions

 private:
  void accept();

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<request> requests_;
  std::thread thread_;
};

}  // namespace tollgate::testing
