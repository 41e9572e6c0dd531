#pragma once
#include "admission_waiters.hpp"
#include "buffer_pool.hpp"
#include "connection_registry.hpp"
#include "dns_cache.hpp"
#include "flood_guard.hpp"
#include "metrics.hpp"
#include "pipe_pool.hpp"
#include "tollgate/proxy/server.hpp"
#include "upstream_pool.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

namespace tollgate::proxy::detail {

/// State every io thread shares: the injected services, metrics, and counters.
struct shared_state {
  shared_state(dependencies d, std::size_t max_conn)
      : deps(d), m(d.registry), flood(d.registry), max_connections(max_conn) {}
  /// The injected clock (dependencies::clock), for the flood guard's windows.
  steady_time now() const { return deps.clock(); }
  dependencies deps;
  metrics m;
  flood_guard flood;  ///< limits on traffic that never authenticated, per client address
  std::atomic<std::size_t> open_connections{0};
  std::atomic<std::size_t> max_connections;
  std::atomic<bool> stopping{false};
};

/// One io thread with its io_context and the per-thread caches (DNS, upstream pool)
/// and connection registry. Everything but the registry is touched only on its thread.
class worker {
 public:
  worker(shared_state& s, std::shared_ptr<const options> opts);
  ~worker();

  boost::asio::io_context& context() { return ioc_; }
  shared_state& shared() { return shared_; }
  /// The options for requests starting now. io thread only.
  const std::shared_ptr<const options>& opts() const { return opts_; }
  /// Replaces the options (posted onto the io thread).
  void set_options(std::shared_ptr<const options> next);

  dns_cache& dns() { return dns_; }
  buffer_pool& buffers() { return buffers_; }
  pipe_pool& pipes() { return pipes_; }
  upstream_pool& pool() { return pool_; }
  connection_registry& registry() { return registry_; }
  /// This thread's requests waiting for room in the audit pipeline.
  admission_waiters& admission() { return admission_; }
  boost::asio::ip::tcp::resolver& resolver() { return resolver_; }

  void start_thread();
  /// Lets run() return once no work is left, then joins.
  void release_and_join();
  /// Posts: close connections that are idle between requests (stop has begun).
  void notify_stopping();
  /// Posts: close every connection now and empty the upstream pool.
  void close_all();
  /// After release_and_join(): records the requests of connections that outlive the
  /// io thread (held by a pending authenticator callback).
  void abandon_all();

 private:
  void arm_sweep();

  shared_state& shared_;
  connection_registry registry_;  // outlives ioc_: sessions unregister when their handlers die
  dns_cache dns_;
  buffer_pool buffers_;  // outlives ioc_: sessions hand their buffers back when they die
  pipe_pool pipes_;      // likewise for tunnel pipes
  std::shared_ptr<const options> opts_;
  boost::asio::io_context ioc_{1};
  admission_waiters admission_{ioc_};  // destroyed before ioc_: a late ring finds no thread
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard_;
  upstream_pool pool_;  // sockets on ioc_: destroyed first
  boost::asio::ip::tcp::resolver resolver_{ioc_};
  boost::asio::steady_timer sweep_timer_{ioc_};
  std::thread thread_;
};

}  // namespace tollgate::proxy::detail
