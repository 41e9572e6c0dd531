// Client session, part 5: CONNECT tunnels. Bytes move both ways with splice(2)
// through a kernel pipe, never through user space; a direction holds a pipe only
// while bytes are in flight, so an idle tunnel costs two parked waits and no buffer.
// One direction ending (EOF) half-closes the other side; a shared idle timer ends a
// quiet tunnel.
#include "client_session.hpp"

#include "worker.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>

#include <cerrno>
#include <cstring>

namespace tollgate::proxy::detail {
using boost::system::error_code;
using boost::asio::ip::tcp;

namespace {
constexpr std::string_view established = "HTTP/1.1 200 Connection established\r\n\r\n";
// A pipe holds 64 KiB by default; asking for more per call costs nothing.
constexpr std::size_t splice_chunk = 1 << 20;
// Moves per turn before the direction yields to other connections on this thread.
constexpr int pump_budget = 16;
}  // namespace

void client_session::open_tunnel() {
  set_kind(connection_kind::tunnel);
  counted_tunnel_ = true;
  shared_.m.active_http.Decrement();
  shared_.m.active_tunnel.Increment();

  // On record from the moment it is allowed: tunnel_open now, tunnel_close at the end.
  audit::audit_record open = rec_;
  open.bytes_down += established.size();
  open.event = audit::audit_event::tunnel_open;
  open.status = 200;
  open.decision.assign(to_string(decision::allow));
  open.duration_us = 0;
  shared_.deps.audit.record(std::move(open));
  rec_.event = audit::audit_event::tunnel_close;
  rec_.status = 200;
  rec_.bytes_up = 0;  // tunnel_close counts the bytes that crossed the tunnel
  rec_.bytes_down = 0;

  // A tunnel keeps no user-space buffer: give back the body relay and the upstream
  // read buffer; the client's only matters for bytes sent behind the CONNECT head.
  release_relay();
  up_->buffer.clear();
  up_->buffer.shrink_to_fit();
  client_.expires_never();
  up_->stream.expires_never();
  error_code ignored;
  client_.socket().non_blocking(true, ignored);
  up_->stream.socket().non_blocking(true, ignored);

  boost::asio::async_write(client_.socket(), boost::asio::buffer(established),
                           [self = shared_from_this()](error_code ec, std::size_t n) {
                             self->add_down(n);
                             if (ec || self->closing_) {
                               self->close_tunnel();
                               return;
                             }
                             self->last_activity_ = clock::now();
                             self->tunnel_open_directions_ = 2;
                             self->arm_tunnel_timer();
                             self->tunnel_pump(false);
                             self->tunnel_early_data();
                           });
}

// Bytes the client sent right behind the CONNECT head go first, then the splice pump.
void client_session::tunnel_early_data() {
  if (client_buf_.size() == 0) {
    client_buf_.shrink_to_fit();
    tunnel_pump(true);
    return;
  }
  boost::asio::async_write(up_->stream.socket(), client_buf_.data(),
                           [self = shared_from_this()](error_code ec, std::size_t n) {
                             self->add_up(n);
                             self->rec_.bytes_up += n;
                             self->client_buf_.consume(n);
                             if (ec) {
                               self->tunnel_direction_done(true, false);
                               return;
                             }
                             self->last_activity_ = clock::now();
                             self->tunnel_early_data();
                           });
}

// upward: client to origin; downward: origin to client.
void client_session::tunnel_pump(bool upward) {
  if (tunnel_closed_) return;
  auto& dir = tunnel_[upward ? 0 : 1];
  auto& from = upward ? client_.socket() : up_->stream.socket();
  auto& to = upward ? up_->stream.socket() : client_.socket();
  auto& pipes = worker_.pipes();
  for (int turn = 0; turn < pump_budget; ++turn) {
    if (dir.in_pipe == 0) {
      if (!dir.pipe) {
        dir.pipe = pipes.acquire();
        if (!dir.pipe) {
          rec_.error = std::string("no pipe for the tunnel: ") + std::strerror(errno);
          tunnel_direction_done(upward, false);
          return;
        }
      }
      const ssize_t n = ::splice(from.native_handle(), nullptr, dir.pipe.write_end(), nullptr, splice_chunk,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n == 0) {
        pipes.release(std::move(dir.pipe), true);
        tunnel_direction_done(upward, true);
        return;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) {
          tunnel_direction_done(upward, false);
          return;
        }
        // Nothing to read: park without a pipe until the socket is readable.
        pipes.release(std::move(dir.pipe), true);
        tunnel_wait(upward, from, tcp::socket::wait_read);
        return;
      }
      dir.in_pipe = static_cast<std::size_t>(n);
    }
    const ssize_t m = ::splice(dir.pipe.read_end(), nullptr, to.native_handle(), nullptr, dir.in_pipe,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (m < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        tunnel_direction_done(upward, false);
        return;
      }
      // The peer is not reading: wait until its socket takes more (backpressure).
      tunnel_wait(upward, to, tcp::socket::wait_write);
      return;
    }
    const auto moved = static_cast<std::size_t>(m);
    dir.in_pipe -= moved;
    if (upward) {
      add_up(moved);
      rec_.bytes_up += moved;
    } else {
      add_down(moved);
      rec_.bytes_down += moved;
    }
    last_activity_ = clock::now();
  }
  boost::asio::post(client_.get_executor(), [self = shared_from_this(), upward] { self->tunnel_pump(upward); });
}

// Parks a direction until `socket` is ready, then pumps again; an error ends it.
void client_session::tunnel_wait(bool upward, tcp::socket& socket, tcp::socket::wait_type what) {
  socket.async_wait(what, [self = shared_from_this(), upward](error_code ec) {
    if (ec) {
      self->tunnel_direction_done(upward, false);
      return;
    }
    self->tunnel_pump(upward);
  });
}

void client_session::tunnel_direction_done(bool upward, bool clean) {
  --tunnel_open_directions_;
  if (tunnel_closed_) {
    if (tunnel_open_directions_ <= 0) close_tunnel();
    return;
  }
  if (!clean) {
    // A reset or write failure ends the whole tunnel.
    close_tunnel();
    return;
  }
  // Clean EOF one way: pass the half-close on and keep the other way open.
  error_code ignored;
  auto& to = upward ? up_->stream.socket() : client_.socket();
  to.shutdown(tcp::socket::shutdown_send, ignored);
  if (tunnel_open_directions_ <= 0) close_tunnel();
}

void client_session::arm_tunnel_timer() {
  timer_.expires_at(last_activity_ + opts_->tunnel_idle_timeout);
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->tunnel_closed_) return;
    if (clock::now() - self->last_activity_ >= self->opts_->tunnel_idle_timeout) {
      self->rec_.error = "tunnel idle timeout";
      self->close_tunnel();
      return;
    }
    self->arm_tunnel_timer();
  });
}

void client_session::close_tunnel() {
  if (!tunnel_closed_) {
    tunnel_closed_ = true;
    const std::string why = rec_.error;
    finish_request(200, decision::allow, why);
  }
  close_everything();
}

void client_session::release_tunnel_pipes() {
  for (auto& dir : tunnel_) {
    worker_.pipes().release(std::move(dir.pipe), dir.in_pipe == 0);
    dir.in_pipe = 0;
  }
}

}  // namespace tollgate::proxy::detail
