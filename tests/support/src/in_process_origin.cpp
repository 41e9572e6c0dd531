#include "tollgate/testing/in_process_origin.hpp"

#include <boost/asio/ip/address_v4.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <memory>

namespace tollgate::testing {
namespace {

namespace http = boost::beast::http;
using boost::asio::ip::tcp;

// One client connection of the origin: read a request, record it, answer, repeat.
class origin_session : public std::enable_shared_from_this<origin_session> {
 public:
  origin_session(tcp::socket s, in_process_origin& origin) : socket_(std::move(s)), origin_(origin) {}

  void read() {
    req_ = {};
    http::async_read(socket_, buffer_, req_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) return;  // the client went away (or the origin stops)
      self->answer();
    });
  }

 private:
  void answer() {
    in_process_origin::request seen;
    seen.method = std::string(req_.method_string());
    seen.target = std::string(req_.target());
    for (const auto& f : req_) seen.fields.emplace_back(std::string(f.name_string()), std::string(f.value()));
    seen.body = req_.body();
    origin_.seen(seen);

    res_ = {};
    res_.version(11);
    res_.result(http::status::ok);
    res_.set(http::field::content_type, "text/plain");
    res_.set(http::field::connection, "X-Origin-Hop");
    res_.set("X-Origin-Hop", "must not pass");
    res_.set(http::field::keep_alive, "timeout=5");
    res_.body() = "origin saw " + seen.method + " " + seen.target + "\n";
    res_.keep_alive(req_.keep_alive());
    res_.prepare_payload();
    http::async_write(socket_, res_, [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec || !self->res_.keep_alive()) {
        self->socket_.shutdown(tcp::socket::shutdown_send, ec);
        return;
      }
      self->read();
    });
  }

  tcp::socket socket_;
  in_process_origin& origin_;
  boost::beast::flat_buffer buffer_;
  http::request<http::string_body> req_;
  http::response<http::string_body> res_;
};

}  // namespace

std::string in_process_origin::request::field(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (boost::beast::iequals(k, name)) return v;
  }
  return {};
}

bool in_process_origin::request::has(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (boost::beast::iequals(k, name)) return true;
  }
  return false;
}

in_process_origin::in_process_origin() : acceptor_(io_, tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)) {
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

in_process_origin::~in_process_origin() {
  io_.stop();
  thread_.join();
}

void in_process_origin::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec) return;
    std::make_shared<origin_session>(std::move(s), *this)->read();
    accept();
  });
}

void in_process_origin::seen(request r) {
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(r));
  }
  arrived_.notify_all();
}

std::vector<in_process_origin::request> in_process_origin::wait_for(std::size_t count,
                                                                     std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  arrived_.wait_for(lock, timeout, [&] { return requests_.size() >= count; });
  return requests_;
}

}  // namespace tollgate::testing
