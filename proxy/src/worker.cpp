#include "worker.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include <exception>

namespace tollgate::proxy::detail {

worker::worker(shared_state& s, std::shared_ptr<const options> opts)
    : shared_(s), opts_(std::move(opts)), guard_(boost::asio::make_work_guard(ioc_)) {}

worker::~worker() {
  release_and_join();
  pool_.clear();
}

void worker::set_options(std::shared_ptr<const options> next) {
  boost::asio::post(ioc_, [this, next = std::move(next)]() mutable { opts_ = std::move(next); });
}

void worker::start_thread() {
  arm_sweep();
  thread_ = std::thread([this] {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception& e) {
        // Handlers do not throw by design; if one does, log it and keep serving.
        spdlog::error("proxy io thread: unexpected exception: {}", e.what());
      }
    }
  });
}

void worker::release_and_join() {
  guard_.reset();
  if (thread_.joinable()) thread_.join();
}

void worker::arm_sweep() {
  sweep_timer_.expires_after(std::chrono::seconds(5));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    pool_.sweep(std::chrono::steady_clock::now());
    arm_sweep();
  });
}

void worker::notify_stopping() {
  boost::asio::post(ioc_, [this] {
    for (auto& c : registry_.all()) c->on_stopping();
  });
}

void worker::abandon_all() {
  for (auto& c : registry_.all()) c->abandon();
}

void worker::close_all() {
  boost::asio::post(ioc_, [this] {
    sweep_timer_.cancel();
    pool_.clear();
    resolver_.cancel();
    for (auto& c : registry_.all()) c->force_close();
  });
}

}  // namespace tollgate::proxy::detail
