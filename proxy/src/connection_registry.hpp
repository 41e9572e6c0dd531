#pragma once
#include "tollgate/proxy/connection_info.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tollgate::proxy::detail {

class connection_registry;

/// Base of every client connection the registry tracks: what the admin API shows,
/// and how shutdown reaches it. Lives on one io thread; the registry's mutex guards
/// the strings because connections() reads them from another thread.
class tracked_connection {
 public:
  tracked_connection(connection_registry& r, std::string client);
  /// Takes `from`'s place in the registry (client, user, destination, age, bytes): a
  /// connection that changes hands, as a CONNECT session handing its sockets to a
  /// tunnel, stays one entry. `from` is no longer listed. io thread only.
  struct handover {};
  tracked_connection(tracked_connection& from, handover);
  virtual ~tracked_connection();
  tracked_connection(const tracked_connection&) = delete;
  tracked_connection& operator=(const tracked_connection&) = delete;

  /// Closes the sockets now (shutdown past the grace period). io thread only.
  virtual void force_close() = 0;
  /// Closes the connection if it is idle between requests; otherwise it closes
  /// after the request in flight. io thread only.
  virtual void on_stopping() = 0;
  virtual std::shared_ptr<tracked_connection> lock_self() = 0;
  /// After the io threads have stopped: hands over the audit record of a request that
  /// can no longer finish (e.g. one still waiting for the authenticator). Any thread.
  virtual void abandon() = 0;

  void set_request(const std::string& user, const std::string& destination);
  void set_kind(connection_kind k);
  void add_up(std::uint64_t n) { bytes_up_.fetch_add(n, std::memory_order_relaxed); }
  void add_down(std::uint64_t n) { bytes_down_.fetch_add(n, std::memory_order_relaxed); }

 private:
  friend class connection_registry;
  connection_registry& registry_;
  std::list<tracked_connection*>::iterator self_;
  bool listed_ = true;  // false once handed over
  std::string client_;
  std::string user_;
  std::string destination_;
  connection_kind kind_ = connection_kind::http;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::atomic<std::uint64_t> bytes_up_{0};
  std::atomic<std::uint64_t> bytes_down_{0};
};

/// The live connections of one io thread.
class connection_registry {
 public:
  void snapshot(std::vector<connection_info>& out) const;
  /// Collects the live connections (for shutdown). io thread only.
  std::vector<std::shared_ptr<tracked_connection>> all();

 private:
  friend class tracked_connection;
  mutable std::mutex mutex_;
  std::list<tracked_connection*> list_;
};

}  // namespace tollgate::proxy::detail
