#pragma once
#include "connection_registry.hpp"
#include "decision.hpp"
#include "pipe_pool.hpp"
#include "tollgate/audit/audit_record.hpp"
#include "tollgate/proxy/options.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <array>
#include <chrono>
#include <memory>

namespace tollgate::proxy::detail {

class worker;
struct shared_state;

/// A CONNECT tunnel once it is allowed and connected. The client_session hands it both
/// sockets and ends (as Beast's http_session hands a websocket_session its stream); the
/// tunnel takes the session's place in the registry and its connection slot.
///
/// Bytes move both ways with splice(2) through a kernel pipe, never through user space;
/// a direction holds a pipe only while bytes are in flight, so an idle tunnel costs two
/// parked waits and no buffer. One direction ending (EOF) half-closes the other side; a
/// shared idle timer ends a quiet tunnel. Its end is the tunnel_close record, filed by
/// the same path as every request's record (file_record); the tunnel_open record is the
/// session's.
class tunnel final : public tracked_connection, public std::enable_shared_from_this<tunnel> {
 public:
  using clock = std::chrono::steady_clock;

  /// What the session hands over. `close_record` is the tunnel_close record so far (the
  /// request's fields, no bytes yet); `early` holds bytes the client sent behind the
  /// CONNECT head; `started` is when the CONNECT request arrived.
  struct handed_over {
    boost::asio::ip::tcp::socket client;
    boost::asio::ip::tcp::socket origin;
    boost::beast::flat_buffer early;
    audit::audit_record close_record;
    clock::time_point started;
  };

  tunnel(worker& w, tracked_connection& session, std::shared_ptr<const options> opts, handed_over h);
  ~tunnel() override;

  /// Answers "200 Connection established", sends the early bytes, then splices.
  void start();

  void force_close() override;
  void on_stopping() override {}  // a tunnel is never idle between requests: it ends with its peers
  void abandon() override;
  std::shared_ptr<tracked_connection> lock_self() override { return weak_from_this().lock(); }

  /// The answer to an allowed CONNECT, counted in the tunnel_open record.
  static constexpr std::string_view established = "HTTP/1.1 200 Connection established\r\n\r\n";

 private:
  void early_data();
  void pump(bool upward);
  void wait(bool upward, boost::asio::ip::tcp::socket& socket, boost::asio::ip::tcp::socket::wait_type what);
  void direction_done(bool upward, bool clean);
  void arm_timer();
  void close();
  void finish(decision outcome, std::string_view error);
  void close_sockets();
  void release_pipes();

  worker& worker_;
  shared_state& shared_;
  std::shared_ptr<const options> opts_;
  boost::asio::ip::tcp::socket client_;
  boost::asio::ip::tcp::socket origin_;
  boost::asio::ip::address client_address_;
  boost::beast::flat_buffer early_;
  audit::audit_record rec_;
  clock::time_point started_;
  bool record_pending_ = true;
  boost::asio::steady_timer timer_;
  clock::time_point last_activity_{};
  struct direction {
    pipe_pool::pipe pipe;     // only while bytes are in flight
    std::size_t in_pipe = 0;  // spliced in, not yet out
  };
  std::array<direction, 2> dirs_;  // [0] client to origin, [1] origin to client
  int open_directions_ = 0;
  bool closed_ = false;   // the tunnel is over (record filed)
  bool closing_ = false;  // the sockets are closed
};

}  // namespace tollgate::proxy::detail
