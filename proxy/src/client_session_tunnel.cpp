// Client session, part 5: CONNECT tunnels. Bytes spliced both ways; one direction
// ending (EOF) half-closes the other side; a shared idle timer ends a quiet tunnel.
#include "client_session.hpp"

#include "worker.hpp"

#include <boost/asio/write.hpp>

namespace tollgate::proxy::detail {
using boost::system::error_code;

namespace {
constexpr std::string_view established = "HTTP/1.1 200 Connection established\r\n\r\n";
}

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
  open.decision = "allow";
  open.duration_us = 0;
  shared_.deps.audit.record(std::move(open));
  rec_.event = audit::audit_event::tunnel_close;
  rec_.status = 200;
  rec_.bytes_up = 0;  // tunnel_close counts the bytes that crossed the tunnel
  rec_.bytes_down = 0;
  relay();
  tunnel_buf_ = worker_.buffers().acquire();

  client_.expires_never();
  up_->stream.expires_never();
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
                             // Bytes the client sent right behind the CONNECT head go first.
                             if (self->client_buf_.size() > 0) {
                               const std::size_t n0 = std::min(self->client_buf_.size(), relay_size);
                               std::memcpy(self->tunnel_buf_.get(), self->client_buf_.cdata().data(), n0);
                               self->client_buf_.consume(n0);
                               self->tunnel_write(true, n0);
                             } else {
                               self->tunnel_read(true);
                             }
                             self->tunnel_read(false);
                           });
}

// upward: client to origin (tunnel_buf_); downward: origin to client (relay_).
void client_session::tunnel_read(bool upward) {
  auto& from = upward ? client_.socket() : up_->stream.socket();
  char* buf = upward ? tunnel_buf_.get() : relay_.get();
  from.async_read_some(boost::asio::buffer(buf, relay_size),
                       [self = shared_from_this(), upward](error_code ec, std::size_t n) {
                         if (ec) {
                           self->tunnel_direction_done(upward, ec == boost::asio::error::eof);
                           return;
                         }
                         self->tunnel_write(upward, n);
                       });
}

void client_session::tunnel_write(bool upward, std::size_t n) {
  if (tunnel_closed_) return;
  auto& to = upward ? up_->stream.socket() : client_.socket();
  const char* buf = upward ? tunnel_buf_.get() : relay_.get();
  last_activity_ = clock::now();
  boost::asio::async_write(to, boost::asio::buffer(buf, n), [self = shared_from_this(), upward](error_code ec, std::size_t w) {
    if (upward) {
      self->add_up(w);
      self->rec_.bytes_up += w;
    } else {
      self->add_down(w);
      self->rec_.bytes_down += w;
    }
    if (ec) {
      self->tunnel_direction_done(upward, false);
      return;
    }
    self->last_activity_ = clock::now();
    if (self->client_buf_.size() > 0 && upward) {
      // Rare: a CONNECT head followed by more than one buffer of early data.
      const std::size_t n0 = std::min(self->client_buf_.size(), relay_size);
      std::memcpy(self->tunnel_buf_.get(), self->client_buf_.cdata().data(), n0);
      self->client_buf_.consume(n0);
      self->tunnel_write(true, n0);
      return;
    }
    self->tunnel_read(upward);
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
  to.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
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
    finish_request(200, "allow", why);
  }
  close_everything();
}

}  // namespace tollgate::proxy::detail
