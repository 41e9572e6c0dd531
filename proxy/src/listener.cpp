#include "listener.hpp"

#include "client_session.hpp"
#include "worker.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

namespace tollgate::proxy::detail {
using boost::system::error_code;

namespace {

constexpr std::string_view busy_page = "The proxy is at its connection limit.\n";

const std::string& busy_response() {
  static const std::string text =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: " +
      std::to_string(busy_page.size()) + "\r\nConnection: close\r\nRetry-After: 1\r\n\r\n" + std::string(busy_page);
  return text;
}

}  // namespace

listener::listener(boost::asio::ip::tcp::acceptor acceptor, std::vector<worker*> workers,
                   std::atomic<std::size_t>& next)
    : acceptor_(std::move(acceptor)), endpoint_(acceptor_.local_endpoint()), workers_(std::move(workers)), next_(next) {}

void listener::start() { accept(); }

void listener::stop() {
  boost::asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
    error_code ignored;
    self->acceptor_.close(ignored);
  });
}

void listener::accept() {
  worker& target = *workers_[next_.fetch_add(1, std::memory_order_relaxed) % workers_.size()];
  acceptor_.async_accept(target.context(), [self = shared_from_this(), &target](error_code ec, boost::asio::ip::tcp::socket s) {
    self->on_accept(target, ec, std::move(s));
  });
}

void listener::on_accept(worker& target, error_code ec, boost::asio::ip::tcp::socket socket) {
  if (ec == boost::asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (ec) {
    // EMFILE and friends: back off briefly instead of spinning on the error.
    spdlog::warn("proxy: accept on {}:{} failed: {}", endpoint_.address().to_string(), endpoint_.port(), ec.message());
    auto timer = std::make_shared<boost::asio::steady_timer>(acceptor_.get_executor(), std::chrono::milliseconds(50));
    timer->async_wait([self = shared_from_this(), timer](error_code) { self->accept(); });
    return;
  }
  auto& shared = target.shared();
  const auto open = shared.open_connections.fetch_add(1, std::memory_order_relaxed);
  if (open >= shared.max_connections.load(std::memory_order_relaxed) || shared.stopping.load()) {
    shared.open_connections.fetch_sub(1, std::memory_order_relaxed);
    shared.m.client_rejected.Increment();
    // Best effort, never blocking: a fresh socket's send buffer takes this at once.
    const auto& text = busy_response();
    [[maybe_unused]] auto sent = ::send(socket.native_handle(), text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    error_code ignored;
    socket.shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  } else {
    boost::asio::post(target.context(), [&target, s = std::move(socket)]() mutable {
      std::make_shared<client_session>(target, std::move(s))->start();
    });
  }
  accept();
}

}  // namespace tollgate::proxy::detail
