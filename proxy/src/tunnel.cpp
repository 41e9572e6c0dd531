// A CONNECT tunnel: splice(2) both ways, half-closes passed on, an idle timer.
#include "tunnel.hpp"

#include "record_path.hpp"
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
// A pipe holds 64 KiB by default; asking for more per call costs nothing.
constexpr std::size_t splice_chunk = 1 << 20;
// Moves per turn before the direction yields to other connections on this thread.
constexpr int pump_budget = 16;
}  // namespace

tunnel::tunnel(worker& w, tracked_connection& session, std::shared_ptr<const options> opts, handed_over h)
    : tracked_connection(session, tracked_connection::handover{}),
      worker_(w),
      shared_(w.shared()),
      opts_(std::move(opts)),
      client_(std::move(h.client)),
      origin_(std::move(h.origin)),
      early_(std::move(h.early)),
      rec_(std::move(h.close_record)),
      started_(h.started),
      timer_(w.context()) {
  error_code ec;
  client_address_ = client_.remote_endpoint(ec).address();
  set_kind(connection_kind::tunnel);
  shared_.m.active_tunnel.Increment();
}

tunnel::~tunnel() {
  release_pipes();
  if (record_pending_) finish(decision::error, "connection closed");
  shared_.m.active_tunnel.Decrement();
  shared_.open_connections.fetch_sub(1, std::memory_order_relaxed);
}

void tunnel::force_close() { close_sockets(); }

void tunnel::abandon() {
  if (record_pending_) finish(decision::error, "proxy shut down before the request finished");
}

// The end of the tunnel on record: "allow" when it ran its course (with why it ended, if
// not cleanly), "error" when the proxy dropped it without closing it.
void tunnel::finish(decision outcome, std::string_view error) {
  record_pending_ = false;
  const std::string why(error);  // may be rec_.error, which file_record overwrites
  file_record(shared_, *opts_, client_address_, std::move(rec_),
              {.status = 200, .outcome = outcome, .error = why, .elapsed = clock::now() - started_,
               .authenticated = true});
}

void tunnel::close_sockets() {
  closing_ = true;
  error_code ec;
  client_.shutdown(tcp::socket::shutdown_both, ec);
  client_.close(ec);
  origin_.close(ec);
  timer_.cancel();
}

void tunnel::start() {
  error_code ignored;
  client_.non_blocking(true, ignored);
  origin_.non_blocking(true, ignored);
  boost::asio::async_write(client_, boost::asio::buffer(established),
                           [self = shared_from_this()](error_code ec, std::size_t n) {
                             self->add_down(n);
                             if (ec || self->closing_) {
                               self->close();
                               return;
                             }
                             self->last_activity_ = clock::now();
                             self->open_directions_ = 2;
                             self->arm_timer();
                             self->pump(false);
                             self->early_data();
                           });
}

// Bytes the client sent right behind the CONNECT head go first, then the splice pump.
void tunnel::early_data() {
  if (early_.size() == 0) {
    early_.shrink_to_fit();
    pump(true);
    return;
  }
  boost::asio::async_write(origin_, early_.data(), [self = shared_from_this()](error_code ec, std::size_t n) {
    self->add_up(n);
    self->rec_.bytes_up += n;
    self->early_.consume(n);
    if (ec) {
      self->direction_done(true, false);
      return;
    }
    self->last_activity_ = clock::now();
    self->early_data();
  });
}

// upward: client to origin; downward: origin to client.
void tunnel::pump(bool upward) {
  if (closed_) return;
  auto& dir = dirs_[upward ? 0 : 1];
  auto& from = upward ? client_ : origin_;
  auto& to = upward ? origin_ : client_;
  auto& pipes = worker_.pipes();
  for (int turn = 0; turn < pump_budget; ++turn) {
    if (dir.in_pipe == 0) {
      if (!dir.pipe) {
        dir.pipe = pipes.acquire();
        if (!dir.pipe) {
          rec_.error = std::string("no pipe for the tunnel: ") + std::strerror(errno);
          direction_done(upward, false);
          return;
        }
      }
      const ssize_t n = ::splice(from.native_handle(), nullptr, dir.pipe.write_end(), nullptr, splice_chunk,
                                 SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n == 0) {
        pipes.release(std::move(dir.pipe), true);
        direction_done(upward, true);
        return;
      }
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) {
          direction_done(upward, false);
          return;
        }
        // Nothing to read: park without a pipe until the socket is readable.
        pipes.release(std::move(dir.pipe), true);
        wait(upward, from, tcp::socket::wait_read);
        return;
      }
      dir.in_pipe = static_cast<std::size_t>(n);
    }
    const ssize_t m = ::splice(dir.pipe.read_end(), nullptr, to.native_handle(), nullptr, dir.in_pipe,
                               SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (m < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) {
        direction_done(upward, false);
        return;
      }
      // The peer is not reading: wait until its socket takes more (backpressure).
      wait(upward, to, tcp::socket::wait_write);
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
  boost::asio::post(client_.get_executor(), [self = shared_from_this(), upward] { self->pump(upward); });
}

// Parks a direction until `socket` is ready, then pumps again; an error ends it.
void tunnel::wait(bool upward, tcp::socket& socket, tcp::socket::wait_type what) {
  socket.async_wait(what, [self = shared_from_this(), upward](error_code ec) {
    if (ec) {
      self->direction_done(upward, false);
      return;
    }
    self->pump(upward);
  });
}

void tunnel::direction_done(bool upward, bool clean) {
  --open_directions_;
  if (closed_) {
    if (open_directions_ <= 0) close();
    return;
  }
  if (!clean) {
    // A reset or write failure ends the whole tunnel.
    close();
    return;
  }
  // Clean EOF one way: pass the half-close on and keep the other way open.
  error_code ignored;
  auto& to = upward ? origin_ : client_;
  to.shutdown(tcp::socket::shutdown_send, ignored);
  if (open_directions_ <= 0) close();
}

void tunnel::arm_timer() {
  timer_.expires_at(last_activity_ + opts_->tunnel_idle_timeout);
  timer_.async_wait([self = shared_from_this()](error_code ec) {
    if (ec || self->closed_) return;
    if (clock::now() - self->last_activity_ >= self->opts_->tunnel_idle_timeout) {
      self->rec_.error = "tunnel idle timeout";
      self->close();
      return;
    }
    self->arm_timer();
  });
}

void tunnel::close() {
  if (!closed_) {
    closed_ = true;
    finish(decision::allow, rec_.error);
  }
  close_sockets();
}

void tunnel::release_pipes() {
  for (auto& dir : dirs_) {
    worker_.pipes().release(std::move(dir.pipe), dir.in_pipe == 0);
    dir.in_pipe = 0;
  }
}

}  // namespace tollgate::proxy::detail
