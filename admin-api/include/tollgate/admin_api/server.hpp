#pragma once
#include "tollgate/admin_api/options.hpp"
#include "tollgate/admin_api/services.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <string>

namespace tollgate::admin_api {

/// Why create() failed, readable as is ("cannot read tokens_file ...: ...").
struct start_error {
  std::string message;
};
[[noreturn]] void throw_exception_from_error(const start_error& e, const boost::source_location& loc);

/// The admin REST API, /healthz, /readyz and /metrics on their own listener.
///
/// Threads: the server owns `options::io_threads` io threads running its own
/// io_context (sessions, TLS, auth) and `options::worker_threads` worker threads
/// where every blocking service call runs (PostgreSQL, directory, reload). Nothing
/// is shared with the proxy's threads.
///
///   auto s = server::create(opts, svc);   // reads tokens_file and TLS files, binds, or says why not
///   s.value()->start();                   // spawns the threads, starts accepting
///   ... s->stop();                        // closes the listener and connections, joins all threads
///
/// Destroy order: the authenticator may complete a verify() onto an admin io thread;
/// stop the authenticator's workers before destroying the server. The server is
/// destroyed before everything `services` references.
class server {
 public:
  /// Binds and listens on `opts.listen` ("127.0.0.1:0" picks a free port; see
  /// local_endpoint()), loads the token file and TLS certificate. Does not accept yet.
  static boost::system::result<std::unique_ptr<server>, start_error> create(options opts, services svc);

  ~server();  ///< stop()s if still running
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  void start();  ///< spawns the threads and starts accepting; call once
  /// Stops accepting, closes every connection (exports in flight end early), joins
  /// the threads. Idempotent; blocks the caller.
  void stop();

  /// Re-reads `tokens_file` (e.g. after a config reload). On error the old tokens stay
  /// and the message says why.
  boost::system::result<void, start_error> reload_tokens();

  boost::asio::ip::tcp::endpoint local_endpoint() const;

  class impl;

 private:
  explicit server(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace tollgate::admin_api
