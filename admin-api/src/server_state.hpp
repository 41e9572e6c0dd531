#pragma once
#include "access.hpp"
#include "api.hpp"
#include "tollgate/admin_api/options.hpp"
#include "tollgate/admin_api/services.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace tollgate::admin_api {

/// What every session of one server shares. Lives (via shared_ptr) as long as the
/// longest session or worker job that refers to it.
struct server_state {
  server_state(options o, services s)
      : opts(std::move(o)), svc(std::move(s)), handlers(opts, svc), workers(opts.worker_threads ? opts.worker_threads : 1) {}

  const options opts;
  services svc;
  api handlers;
  boost::asio::thread_pool workers;
  std::optional<boost::asio::ssl::context> tls;  ///< set when the listener speaks HTTPS

  std::shared_ptr<const token_table> tokens() const {
    std::lock_guard lock(tokens_mutex);
    return tokens_;
  }
  void set_tokens(std::shared_ptr<const token_table> t) {
    std::lock_guard lock(tokens_mutex);
    tokens_ = std::move(t);
  }

  std::atomic<std::size_t> active{0};
  std::atomic<bool> stopping{false};

  /// Closers of live sessions, so stop() can end them (exports included).
  std::uint64_t add_closer(std::function<void()> close) {
    std::lock_guard lock(sessions_mutex);
    const auto id = ++next_session_;
    closers_.emplace(id, std::move(close));
    return id;
  }
  void remove_closer(std::uint64_t id) {
    std::lock_guard lock(sessions_mutex);
    closers_.erase(id);
  }
  void close_all() {
    std::unordered_map<std::uint64_t, std::function<void()>> all;
    {
      std::lock_guard lock(sessions_mutex);
      all = closers_;
    }
    for (auto& [id, close] : all) close();
  }

 private:
  mutable std::mutex tokens_mutex;
  std::shared_ptr<const token_table> tokens_ = std::make_shared<token_table>();
  std::mutex sessions_mutex;
  std::uint64_t next_session_ = 0;
  std::unordered_map<std::uint64_t, std::function<void()>> closers_;
};

/// Runs one connection to the end: reads requests, authenticates, answers. The socket
/// is bound to a strand of the server's io_context.
void spawn_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<server_state> state);

/// Answers 503 to a connection over the limit and closes it.
void spawn_refusal(boost::asio::ip::tcp::socket socket, std::shared_ptr<server_state> state);

}  // namespace tollgate::admin_api
