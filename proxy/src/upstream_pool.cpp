#include "upstream_pool.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <iterator>

namespace tollgate::proxy::detail {

bool idle_socket_usable(boost::asio::ip::tcp::socket& s) {
  if (!s.is_open()) return false;
  char byte = 0;
  const auto n = ::recv(s.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  // 0: orderly close; > 0: bytes nobody asked for; EAGAIN: alive and quiet.
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::unique_ptr<upstream_connection> upstream_pool::take(std::string_view key, clock::time_point now) {
  auto it = idle_.find(key);
  if (it == idle_.end()) return nullptr;
  auto& list = it->second;
  while (!list.empty()) {
    auto c = std::move(list.back());
    list.pop_back();
    --total_;
    // Always probed, also a connection back in the pool for a millisecond: a hostile
    // origin can send the next response ahead of the request (the peek costs about a
    // microsecond). If the origin closes it after the probe, the session retries an
    // idempotent bodiless request on a fresh connection.
    if (now - c->idle_since < max_idle && idle_socket_usable(c->stream.socket())) {
      c->reused = true;
      if (list.empty()) idle_.erase(it);
      return c;
    }
    boost::system::error_code ignored;
    c->stream.socket().close(ignored);
  }
  idle_.erase(it);
  return nullptr;
}

void upstream_pool::put(std::unique_ptr<upstream_connection> c, std::size_t per_key_limit, clock::time_point now) {
  if (per_key_limit == 0 || total_ >= max_idle_total) return;  // closed by the destructor
  c->idle_since = now;
  c->stream.expires_never();
  auto& list = idle_[c->key];
  if (list.size() >= per_key_limit) {
    list.erase(list.begin());  // the oldest goes
    --total_;
  }
  list.push_back(std::move(c));
  ++total_;
}

void upstream_pool::sweep(clock::time_point now) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    auto& list = it->second;
    total_ -= std::erase_if(list, [&](const auto& c) {
      return now - c->idle_since >= max_idle || !idle_socket_usable(c->stream.socket());
    });
    it = list.empty() ? idle_.erase(it) : std::next(it);
  }
}

void upstream_pool::clear() {
  idle_.clear();
  total_ = 0;
}

}  // namespace tollgate::proxy::detail
