#include "tollgate/pg/pool.hpp"

#include "tollgate/pg/connect.hpp"

namespace tollgate::pg {

pool::pool(pool_options options)
    : dsn_(std::move(options.dsn)), max_(options.max_connections ? options.max_connections : 1) {}

pool::lease::~lease() {
  if (conn_) pool_->give_back(std::move(conn_), healthy_);
}

result<pool::lease> pool::acquire() {
  std::unique_lock lock(mutex_);
  freed_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return lease(*this, std::move(c));
  }
  ++open_;
  lock.unlock();
  auto c = connect(dsn_);
  if (!c) {
    lock.lock();
    --open_;
    freed_.notify_one();
    return c.error();
  }
  return lease(*this, std::move(*c));
}

std::size_t pool::open_connections() {
  std::lock_guard lock(mutex_);
  return open_;
}

void pool::give_back(std::unique_ptr<pqxx::connection> c, bool healthy) {
  {
    std::lock_guard lock(mutex_);
    if (healthy && c->is_open())
      idle_.push_back(std::move(c));
    else
      --open_;
  }
  freed_.notify_one();
}

}  // namespace tollgate::pg
