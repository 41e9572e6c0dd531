#include "flood_sweeper.hpp"

#include "worker.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>

namespace tollgate::proxy::detail {

flood_sweeper::flood_sweeper(worker& w) : worker_(w), timer_(w.context()) {}

void flood_sweeper::start() {
  boost::asio::post(worker_.context(), [this] { arm(); });
}

void flood_sweeper::stop() {
  boost::asio::post(worker_.context(), [this] {
    stopped_ = true;
    timer_.cancel();
  });
}

void flood_sweeper::flush_all() { sweep(true); }

void flood_sweeper::arm() {
  if (stopped_) return;
  // A quarter of the interval: an aggregate is written at most that late.
  const auto period = std::clamp<std::chrono::milliseconds>(worker_.opts()->flood.aggregate_interval / 4,
                                                            std::chrono::milliseconds(100), std::chrono::seconds(1));
  timer_.expires_after(period);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopped_) return;
    sweep(false);
    arm();
  });
}

void flood_sweeper::sweep(bool everything) {
  auto& shared = worker_.shared();
  const bool open = shared.deps.audit.admit() == audit::admission::open;
  auto due = shared.flood.sweep(worker_.opts()->flood, shared.now(), open, everything);
  for (auto& rec : due) shared.deps.audit.record(std::move(rec));
}

}  // namespace tollgate::proxy::detail
