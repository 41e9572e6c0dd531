#include "pg_pool.hpp"

namespace tollgate::admin_api {

pg_pool::pg_pool(std::string dsn, std::size_t max_connections)
    : dsn_(std::move(dsn)), max_(max_connections ? max_connections : 1) {}

pg_pool::lease::~lease() {
  if (conn_) pool_->give_back(std::move(conn_), healthy_);
}

pg_pool::lease pg_pool::acquire() {
  std::unique_lock lock(mutex_);
  freed_.wait(lock, [&] { return !idle_.empty() || open_ < max_; });
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    return lease(*this, std::move(c));
  }
  ++open_;
  lock.unlock();
  try {
    return lease(*this, std::make_unique<pqxx::connection>(dsn_));
  } catch (...) {
    lock.lock();
    --open_;
    freed_.notify_one();
    throw;
  }
}

void pg_pool::give_back(std::unique_ptr<pqxx::connection> c, bool healthy) {
  {
    std::lock_guard lock(mutex_);
    if (healthy && c->is_open())
      idle_.push_back(std::move(c));
    else
      --open_;
  }
  freed_.notify_one();
}

}  // namespace tollgate::admin_api
