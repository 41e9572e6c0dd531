#pragma once
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tollgate::proxy::detail {

/// A connection to an origin server, with the read buffer that belongs to it.
struct upstream_connection {
  explicit upstream_connection(boost::asio::any_io_executor ex) : stream(std::move(ex)) {
    // Beast sizes each read by the free capacity (at least 512 bytes): without room
    // up front a body would arrive 512 bytes per system call.
    buffer.reserve(16 * 1024);
  }
  boost::beast::tcp_stream stream;
  boost::beast::flat_buffer buffer{64 * 1024};  ///< bound: response heads up to 64 KiB
  std::string key;                              ///< pool key: host name + checked endpoint
  std::chrono::steady_clock::time_point idle_since{};
  bool reused = false;                          ///< came out of the pool (may be stale)
  bool pinned = false;  ///< carried NTLM/Negotiate: never pooled, reused by its client connection only
};

/// Idle keep-alive connections to origins, per (host, checked address, port). One per
/// io thread (no lock). Bounded per key; entries older than `max_idle` are dropped,
/// and a connection the origin has closed (or that has stray bytes) is never handed out.
/// Only connections whose last response ended exactly where their read buffer ends are
/// put here (client_session::response_done), and no pinned one.
class upstream_pool {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds max_idle{30};
  static constexpr std::size_t max_idle_total = 4096;  ///< per io thread, all origins together

  /// An idle connection for `key`, checked with one non-blocking peek: bytes the origin
  /// sent while it sat here (whenever they came) would be read as the next request's
  /// answer, so such a connection is closed instead, like one the origin closed.
  std::unique_ptr<upstream_connection> take(std::string_view key, clock::time_point now);
  void put(std::unique_ptr<upstream_connection> c, std::size_t per_key_limit, clock::time_point now);
  /// Drops expired and closed entries (called from a periodic timer).
  void sweep(clock::time_point now);
  void clear();
  std::size_t size() const { return total_; }

 private:
  struct hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::vector<std::unique_ptr<upstream_connection>>, hash, std::equal_to<>> idle_;
  std::size_t total_ = 0;
};

/// True when the peer has not closed the socket and sent nothing unasked.
bool idle_socket_usable(boost::asio::ip::tcp::socket& s);

}  // namespace tollgate::proxy::detail
