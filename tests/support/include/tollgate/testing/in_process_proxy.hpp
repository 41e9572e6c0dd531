#pragma once
// The proxy server on 127.0.0.1:0 inside the test process, over the shared fakes, so the
// session's behaviour is tested through proxy::server's public interface in milliseconds.
#include "tollgate/proxy/server.hpp"
#include "tollgate/testing/fake_authenticator.hpp"
#include "tollgate/testing/fake_policy.hpp"
#include "tollgate/testing/manual_clock.hpp"
#include "tollgate/testing/recording_audit_sink.hpp"

#include <prometheus/registry.h>

#include <cstdint>
#include <memory>
#include <string>

namespace tollgate::testing {

/// Owns the fakes and the server built on them. Configure the fakes, then start(); the
/// server reads the policy and authenticator from its io threads from then on.
///
///   in_process_proxy p;
///   p.policy.deny_hosts = {"blocked.example"};
///   p.start();                       // or p.start(opts), p.start(opts, &other_authenticator)
///   raw_client c(p.port()); ...      // then wait on p.audit.wait_for(n), never sleep
///
/// Users: alice:alice-pw (engineering, staff), bob:bob-pw (sales). The policy allows
/// 127.0.0.1/32 by address (rule 1), so an in-process origin is reachable although
/// private destinations are blocked. The flood guard's windows run on `clock`.
class in_process_proxy {
 public:
  in_process_proxy();
  ~in_process_proxy();  ///< stops the server if it still runs
  in_process_proxy(const in_process_proxy&) = delete;
  in_process_proxy& operator=(const in_process_proxy&) = delete;

  /// Options for tests: listen 127.0.0.1:0, one io thread, timeouts of a few seconds
  /// (long enough never to fire by accident, short enough to end a hung test).
  static proxy::options test_options();

  /// Creates and starts the server; `authn` replaces the fake authenticator (it must
  /// outlive this object, or stop() must be called first). Fails the test when the server
  /// cannot be created.
  void start(proxy::options opts = test_options(), auth::authenticator* authn = nullptr);
  /// Graceful stop (proxy::server::stop); every request's record is in `audit` after it.
  void stop();

  std::uint16_t port() const { return port_; }
  proxy::server& server() { return *server_; }

  fake_authenticator authenticator;
  fake_policy policy;
  recording_audit_sink audit;
  manual_clock clock;
  prometheus::Registry registry;

 private:
  std::unique_ptr<proxy::server> server_;  // last: it references everything above
  std::uint16_t port_ = 0;
};

/// A request head in absolute form for `http://127.0.0.1:<port><path>`, with
/// `Proxy-Authorization` for `user_colon_password` unless it is empty, and `extra` header
/// lines (each ending in CRLF).
std::string proxy_get(std::uint16_t origin_port, const std::string& path, const std::string& user_colon_password,
                      const std::string& extra = "");

}  // namespace tollgate::testing
