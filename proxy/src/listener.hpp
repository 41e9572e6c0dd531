#pragma once
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tollgate::proxy::detail {

class worker;

/// One bound listen socket. Accepts on its own io thread and hands each connection to
/// the next worker (round robin); past max_connections a connection gets a short 503
/// and is closed at once instead of waiting in a queue.
class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(boost::asio::ip::tcp::acceptor acceptor, std::vector<worker*> workers, std::atomic<std::size_t>& next);
  void start();
  void stop();  ///< posts a close of the acceptor
  boost::asio::ip::tcp::endpoint local_endpoint() const { return endpoint_; }

 private:
  void accept();
  void on_accept(worker& target, boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::endpoint endpoint_;
  std::vector<worker*> workers_;
  std::atomic<std::size_t>& next_;
};

}  // namespace tollgate::proxy::detail
