#include "tollgate/proxy/server.hpp"

#include "client_session.hpp"
#include "flood_sweeper.hpp"
#include "listener.hpp"
#include "max_connections.hpp"
#include "worker.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/throw_exception.hpp>
#include <spdlog/spdlog.h>

#include <mutex>
#include <stdexcept>
#include <thread>

namespace tollgate::proxy {
using boost::system::error_code;

std::string start_error::message() const {
  std::string verb = what == "parse" ? "cannot parse listen address" : "cannot " + what;
  return verb + " " + address + ": " + code.message();
}

void throw_exception_from_error(const start_error& e, const boost::source_location& loc) {
  boost::throw_exception(std::runtime_error(e.message()), loc);
}

namespace {

// "127.0.0.1:3128", "[::1]:3128"; port 0 means any free port (tests).
boost::asio::ip::tcp::endpoint parse_listen_address(std::string_view text, error_code& ec) {
  const auto colon = text.rfind(':');
  ec = make_error_code(boost::system::errc::invalid_argument);
  if (colon == std::string_view::npos || colon + 1 >= text.size() || text.size() - colon > 6) return {};
  std::string_view host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9') return {};
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) return {};
  const auto addr = boost::asio::ip::make_address(host, ec);
  if (ec) return {};
  return {addr, static_cast<std::uint16_t>(port)};
}

}  // namespace

class server::impl {
 public:
  impl(options opts, dependencies deps)
      : opts_(std::move(opts)), shared_(deps, detail::effective_max_connections(opts_.max_connections)) {
    const unsigned n = opts_.io_threads != 0 ? opts_.io_threads : std::max(1u, std::thread::hardware_concurrency());
    auto snapshot = std::make_shared<const options>(opts_);
    for (unsigned i = 0; i < n; ++i) workers_.push_back(std::make_unique<detail::worker>(shared_, snapshot));
    sweeper_ = std::make_unique<detail::flood_sweeper>(*workers_[0]);
  }

  ~impl() { stop(); }

  std::optional<start_error> bind_all() {
    std::vector<detail::worker*> ws;
    for (auto& w : workers_) ws.push_back(w.get());
    std::size_t i = 0;
    for (const auto& text : opts_.listen) {
      error_code ec;
      const auto ep = parse_listen_address(text, ec);
      if (ec) return start_error{text, ec, "parse"};
      auto& w = *workers_[i++ % workers_.size()];
      boost::asio::ip::tcp::acceptor acc(w.context());
      if (acc.open(ep.protocol(), ec); ec) return start_error{text, ec, "open"};
      acc.set_option(boost::asio::socket_base::reuse_address(true), ec);
      if (acc.bind(ep, ec); ec) return start_error{text, ec, "bind"};
      if (acc.listen(boost::asio::socket_base::max_listen_connections, ec); ec) return start_error{text, ec, "listen"};
      listeners_.push_back(std::make_shared<detail::listener>(std::move(acc), ws, next_worker_));
    }
    return std::nullopt;
  }

  void start() {
    std::lock_guard lock(lifecycle_);
    if (started_) return;
    started_ = true;
    for (auto& w : workers_) w->start_thread();
    sweeper_->start();
    for (auto& l : listeners_) {
      boost::asio::post(workers_[0]->context(), [l] { l->start(); });
    }
  }

  void stop() {
    std::lock_guard lock(lifecycle_);
    if (stopped_) return;
    stopped_ = true;
    shared_.stopping.store(true);
    for (auto& l : listeners_) l->stop();
    if (started_) {
      for (auto& w : workers_) w->notify_stopping();
      const auto deadline = std::chrono::steady_clock::now() + current_grace();
      while (shared_.open_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      const auto left = shared_.open_connections.load();
      if (left > 0) spdlog::info("proxy: closing {} connection(s) still open after the grace period", left);
    }
    sweeper_->stop();
    for (auto& w : workers_) w->close_all();
    for (auto& w : workers_) w->release_and_join();
    for (auto& w : workers_) w->abandon_all();
    sweeper_->flush_all();  // after the last request's record: nothing counted is left out
    listeners_.clear();
  }

  std::vector<std::string> apply(const options& next) {
    std::vector<std::string> ignored;
    std::lock_guard lock(lifecycle_);
    if (next.listen != opts_.listen) ignored.push_back("proxy.listen cannot change while running (restart to apply)");
    if (next.io_threads != opts_.io_threads) ignored.push_back("proxy.io_threads cannot change while running (restart to apply)");
    auto merged = next;
    merged.listen = opts_.listen;
    merged.io_threads = opts_.io_threads;
    opts_ = merged;
    shared_.max_connections.store(detail::effective_max_connections(merged.max_connections));
    auto snapshot = std::make_shared<const options>(std::move(merged));
    for (auto& w : workers_) w->set_options(snapshot);
    return ignored;
  }

  std::vector<boost::asio::ip::tcp::endpoint> endpoints() const {
    std::vector<boost::asio::ip::tcp::endpoint> out;
    for (const auto& l : listeners_) out.push_back(l->local_endpoint());
    return out;
  }

  std::vector<connection_info> connections() const {
    std::vector<connection_info> out;
    for (const auto& w : workers_) w->registry().snapshot(out);
    return out;
  }

  std::size_t max_connections() const { return shared_.max_connections.load(); }

 private:
  std::chrono::milliseconds current_grace() const { return opts_.shutdown_grace; }

  options opts_;
  detail::shared_state shared_;
  std::atomic<std::size_t> next_worker_{0};
  std::vector<std::unique_ptr<detail::worker>> workers_;
  std::unique_ptr<detail::flood_sweeper> sweeper_;  // on workers_[0]; destroyed before it
  std::vector<std::shared_ptr<detail::listener>> listeners_;
  std::mutex lifecycle_;
  bool started_ = false;
  bool stopped_ = false;
};

boost::system::result<std::unique_ptr<server>, start_error> server::create(options opts, dependencies deps) {
  if (opts.listen.empty()) return start_error{"", make_error_code(boost::system::errc::invalid_argument), "parse"};
  auto p = std::make_unique<impl>(std::move(opts), deps);
  if (auto err = p->bind_all()) return *err;
  return std::unique_ptr<server>(new server(std::move(p)));
}

server::server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
server::~server() = default;
void server::start() { impl_->start(); }
void server::stop() { impl_->stop(); }
std::vector<std::string> server::apply(const options& next) { return impl_->apply(next); }
std::vector<boost::asio::ip::tcp::endpoint> server::local_endpoints() const { return impl_->endpoints(); }
std::vector<connection_info> server::connections() const { return impl_->connections(); }
std::size_t server::max_connections() const { return impl_->max_connections(); }

}  // namespace tollgate::proxy
