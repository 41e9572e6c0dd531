#pragma once
#include "tollgate/pg/error.hpp"

#include <pqxx/connection>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tollgate::pg {

struct pool_options {
  std::string dsn;
  std::size_t max_connections = 4;  ///< 0 is taken as 1
};

/// A small blocking pool of connections, opened on first use (a database that is
/// down at start-up only fails the calls made while it is down). A connection whose
/// lease was not marked healthy is closed instead of kept, so the next call
/// reconnects. Thread-safe; outlives every lease it hands out.
class pool {
 public:
  explicit pool(pool_options options);
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// One borrowed connection; goes back to the pool (or is closed) when destroyed.
  class lease {
   public:
    lease(pool& owner, std::unique_ptr<pqxx::connection> c) : pool_(&owner), conn_(std::move(c)) {}
    lease(lease&& o) noexcept : pool_(o.pool_), conn_(std::move(o.conn_)), healthy_(o.healthy_) {}
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    lease& operator=(lease&&) = delete;
    ~lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }
    void healthy() { healthy_ = true; }  ///< call after the work succeeded; else the connection is closed

   private:
    pool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
    bool healthy_ = false;
  };

  /// Blocks while every connection is lent out; connection_lost when connecting fails.
  result<lease> acquire();

  /// Connections open now (lent out or idle).
  std::size_t open_connections();

 private:
  void give_back(std::unique_ptr<pqxx::connection> c, bool healthy);

  std::string dsn_;
  std::size_t max_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t open_ = 0;
};

}  // namespace tollgate::pg
