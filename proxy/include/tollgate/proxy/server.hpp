#pragma once
#include "tollgate/audit/audit_sink.hpp"
#include "tollgate/auth/authenticator.hpp"
#include "tollgate/common/clock.hpp"
#include "tollgate/policy/policy.hpp"
#include "tollgate/proxy/connection_info.hpp"
#include "tollgate/proxy/options.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
}

namespace tollgate::proxy {

/// What the proxy is built on. Every reference must outlive the server.
struct dependencies {
  auth::authenticator& authenticator;
  /// Asked once per request; swaps its compiled rules internally on reload.
  const policy::policy& policy;
  audit::audit_sink& audit;
  /// The proxy registers its metrics here (tollgate_requests_total, ...).
  prometheus::Registry& registry;
  /// What the unauthenticated-traffic limits (proxy.flood.*) measure their windows with.
  steady_clock_function clock = steady_clock_now;
};

/// Why create() failed: which listen address, and the system error.
struct start_error {
  std::string address;  ///< as written in options::listen
  boost::system::error_code code;
  std::string what;     ///< "parse", "open", "bind" or "listen"
  std::string message() const;  ///< e.g. "cannot bind 127.0.0.1:3128: Address already in use"
};
[[noreturn]] void throw_exception_from_error(const start_error& e, const boost::source_location& loc);

/// The forward proxy: listeners, client sessions, CONNECT tunnels, upstream pools.
///
/// Threads: the server owns `options::io_threads` io threads (0 = cores), one
/// io_context each; a connection lives on one thread from accept to close, so
/// sessions need no locks. The caller (the composition root) owns signals:
///
///   auto s = server::create(opts, deps);   // binds every listen address, or says which failed
///   s.value()->start();                    // spawns the io threads, starts accepting
///   ... SIGHUP  -> s->apply(new_opts);     // timeouts/limits, connections kept
///   ... SIGTERM -> s->stop();              // graceful; returns when every thread has joined
///
/// Audit: every request ends in exactly one record handed to audit_sink::record()
/// (event `request`, also for 400/407/403/408/413/431/502/503/504 answers); an allowed
/// CONNECT instead gets `tunnel_open` at once and `tunnel_close` when it ends (bytes
/// through the tunnel, duration); a refused or failed CONNECT gets one `request` record.
/// Paths lose their query unless `store_query`.
///
/// Destroy order: the authenticator may still complete a verify() onto a server io
/// thread after stop(); stop the authenticator's workers before destroying the server.
/// The server is destroyed before the policy, audit sink and registry it references.
class server {
 public:
  /// Validates `opts`, binds and listens on every `opts.listen` address (127.0.0.1:0
  /// picks a free port; see local_endpoints()). Does not accept until start().
  static boost::system::result<std::unique_ptr<server>, start_error> create(options opts, dependencies deps);

  ~server();  ///< stops (gracefully) if still running
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Spawns the io threads and starts accepting. Call once.
  void start();

  /// Graceful stop: closes the listeners, closes idle keep-alive connections, lets
  /// requests and tunnels in flight run for up to `shutdown_grace`, then closes the
  /// rest and joins the io threads. Every request that started has had its audit
  /// record handed to the sink when this returns. Idempotent; blocks the caller.
  void stop();

  /// Applies reloadable settings (timeouts, limits, realm, via, x_forwarded_for,
  /// block_private_destinations, support_contact, store_query, pool size) to requests
  /// that start from now on; open connections stay. `listen` and `io_threads` cannot
  /// change while running: each such difference is returned as a message (and ignored).
  std::vector<std::string> apply(const options& next);

  /// Where the listeners are bound (useful after binding port 0).
  std::vector<boost::asio::ip::tcp::endpoint> local_endpoints() const;

  /// Snapshot of live client connections, for the admin API. Thread-safe.
  std::vector<connection_info> connections() const;

  /// The effective connection limit (options::max_connections, or the one derived
  /// from RLIMIT_NOFILE when that is 0).
  std::size_t max_connections() const;

  class impl;

 private:
  explicit server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace tollgate::proxy
