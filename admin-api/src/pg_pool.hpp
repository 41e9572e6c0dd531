#pragma once
#include <pqxx/connection>

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tollgate::admin_api {

/// A small blocking pool of PostgreSQL connections, opened on first use. A connection
/// that failed is dropped instead of returned, so the next call reconnects.
class pg_pool {
 public:
  pg_pool(std::string dsn, std::size_t max_connections);

  class lease {
   public:
    lease(pg_pool& pool, std::unique_ptr<pqxx::connection> c) : pool_(&pool), conn_(std::move(c)) {}
    lease(lease&& o) noexcept : pool_(o.pool_), conn_(std::move(o.conn_)), healthy_(o.healthy_) {}
    lease(const lease&) = delete;
    lease& operator=(const lease&) = delete;
    lease& operator=(lease&&) = delete;
    ~lease();
    pqxx::connection& operator*() { return *conn_; }
    pqxx::connection* operator->() { return conn_.get(); }
    void healthy() { healthy_ = true; }  ///< call after the work succeeded; else the connection is closed

   private:
    pg_pool* pool_;
    std::unique_ptr<pqxx::connection> conn_;
    bool healthy_ = false;
  };

  /// Blocks while every connection is lent out; throws when connecting fails.
  lease acquire();

 private:
  void give_back(std::unique_ptr<pqxx::connection> c, bool healthy);

  std::string dsn_;
  std::size_t max_;
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  std::size_t open_ = 0;
};

}  // namespace tollgate::admin_api
