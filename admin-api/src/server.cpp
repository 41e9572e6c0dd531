#include "tollgate/admin_api/server.hpp"

#include "server_state.hpp"
#include "tls_certificate.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/throw_exception.hpp>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <stdexcept>
#include <thread>

namespace tollgate::admin_api {

namespace net = boost::asio;
using net::ip::tcp;

void throw_exception_from_error(const start_error& e, const boost::source_location& loc) {
  boost::throw_exception(std::runtime_error(e.message), loc);
}

namespace {

boost::system::result<tcp::endpoint, start_error> parse_listen(const std::string& listen) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return start_error{"admin.listen " + listen + ": expected host:port"};
  auto host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  const auto port_text = listen.substr(colon + 1);
  unsigned port = 0;
  const auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
    return start_error{"admin.listen " + listen + ": bad port"};
  boost::system::error_code aec;
  const auto addr = net::ip::make_address(host, aec);
  if (aec) return start_error{"admin.listen " + listen + ": expected an IP address (no names)"};
  return tcp::endpoint(addr, static_cast<unsigned short>(port));
}

}  // namespace

class server::impl {
 public:
  impl(options opts, services svc)
      : state_(std::make_shared<server_state>(std::move(opts), std::move(svc))),
        acceptor_(ioc_),
        work_(net::make_work_guard(ioc_)) {}

  boost::system::result<void, start_error> init() {
    const auto& o = state_->opts;
    if (o.tls_cert_file.empty() != o.tls_key_file.empty())
      return start_error{"admin: tls_cert_file and tls_key_file must be set together"};
    if (!o.tokens_file.empty()) {
      auto t = token_table::load(o.tokens_file);
      if (!t) return start_error{t.error()};
      state_->set_tokens(std::make_shared<token_table>(std::move(*t)));
    }
    if (!o.tls_cert_file.empty()) {
      try {
        state_->tls.emplace(net::ssl::context::tls_server);
        state_->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                                 net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                                 net::ssl::context::no_tlsv1_1);
        state_->tls->use_certificate_chain_file(o.tls_cert_file);
        state_->tls->use_private_key_file(o.tls_key_file, net::ssl::context::pem);
      } catch (const std::exception& e) {
        return start_error{"admin TLS (" + o.tls_cert_file + ", " + o.tls_key_file + "): " + e.what()};
      }
      // For the certificate-expiry alert (deploy/prometheus/tollgate-alerts.yml).
      const auto not_after = certificate_not_after(state_->tls->native_handle());
      if (!not_after) return start_error{"admin TLS (" + o.tls_cert_file + "): no certificate date could be read"};
      prometheus::BuildGauge()
          .Name("tollgate_admin_tls_cert_expiry_timestamp_seconds")
          .Help("Unix time at which the admin listener's TLS certificate expires")
          .Register(state_->svc.registry)
          .Add({})
          .Set(static_cast<double>(std::chrono::system_clock::to_time_t(*not_after)));
    }
    auto ep = parse_listen(o.listen);
    if (!ep) return ep.error();
    boost::system::error_code ec;
    const auto fail = [&](const char* what) {
      return start_error{std::string("admin.listen ") + o.listen + ": cannot " + what + ": " + ec.message()};
    };
    acceptor_.open(ep->protocol(), ec);
    if (ec) return fail("open");
    acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (ec) return fail("set SO_REUSEADDR");
    acceptor_.bind(*ep, ec);
    if (ec) return fail("bind");
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) return fail("listen");

    return {};
  }

  void start() {
    net::co_spawn(ioc_, accept_loop(state_, &acceptor_, &ioc_), [](std::exception_ptr ep) {
      if (!ep) return;
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        spdlog::error("admin api: the listener stopped: {}", e.what());
      }
    });
    const unsigned n = state_->opts.io_threads ? state_->opts.io_threads : 1;
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { ioc_.run(); });
    spdlog::info("admin api: listening on {}{}", state_->opts.listen, state_->tls ? " (TLS)" : "");
  }

  void stop() {
    if (stopped_.exchange(true)) return;
    state_->stopping = true;
    net::post(ioc_, [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    state_->close_all();
    work_.reset();
    // Sessions end once their sockets are closed; give them a moment, then stop hard.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (state_->active > 0 && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ioc_.stop();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
    state_->workers.stop();
    state_->workers.join();
  }

  boost::system::result<void, start_error> reload_tokens() {
    if (state_->opts.tokens_file.empty()) return {};
    auto t = token_table::load(state_->opts.tokens_file);
    if (!t) return start_error{t.error()};
    state_->set_tokens(std::make_shared<token_table>(std::move(*t)));
    return {};
  }

  tcp::endpoint local_endpoint() const {
    boost::system::error_code ec;
    return acceptor_.local_endpoint(ec);
  }

 private:
  static net::awaitable<void> accept_loop(std::shared_ptr<server_state> st, tcp::acceptor* acceptor,
                                          net::io_context* ioc) {
    for (;;) {
      auto [ec, socket] = co_await acceptor->async_accept(net::any_io_executor(net::make_strand(*ioc)),
                                                          net::as_tuple(net::use_awaitable));
      if (st->stopping || !acceptor->is_open()) co_return;
      if (ec) {
        // Out of descriptors and the like: pause instead of spinning.
        spdlog::warn("admin api: accept failed: {}", ec.message());
        net::steady_timer pause(*ioc, std::chrono::milliseconds(100));
        co_await pause.async_wait(net::as_tuple(net::use_awaitable));
        continue;
      }
      if (st->active >= st->opts.max_connections)
        spawn_refusal(std::move(socket), st);
      else
        spawn_session(std::move(socket), st);
    }
  }

  std::shared_ptr<server_state> state_;
  net::io_context ioc_;
  tcp::acceptor acceptor_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopped_{false};
};

boost::system::result<std::unique_ptr<server>, start_error> server::create(options opts, services svc) {
  auto p = std::make_unique<impl>(std::move(opts), std::move(svc));
  if (auto r = p->init(); !r) return r.error();
  return std::unique_ptr<server>(new server(std::move(p)));
}

server::server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
server::~server() { impl_->stop(); }
void server::start() { impl_->start(); }
void server::stop() { impl_->stop(); }
boost::system::result<void, start_error> server::reload_tokens() { return impl_->reload_tokens(); }
tcp::endpoint server::local_endpoint() const { return impl_->local_endpoint(); }

}  // namespace tollgate::admin_api
