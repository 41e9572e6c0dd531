#pragma once
#include "tollgate/auth/authenticator.hpp"
#include "tollgate/auth/credential_cache.hpp"
#include "tollgate/auth/directory.hpp"
#include "tollgate/auth/ldap_metrics.hpp"
#include "tollgate/auth/ldap_options.hpp"
#include "tollgate/auth/lockout.hpp"
#include "tollgate/common/clock.hpp"

#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace tollgate::auth {

class ldap_worker_pool;

/// The authenticator behind `Proxy-Authorization`: a credential cache, lockout and
/// coalescing in front of a directory reached from `options.workers` worker threads.
///
/// Lifecycle: made by make_ldap_authenticator() (or, in tests, with any directory).
/// Worker threads start in the constructor and connect lazily, so a directory that is down
/// at start-up does not stop the process. stop() (also run by the destructor) joins the
/// workers; checks still queued complete with `unavailable`. Completions are posted to the
/// executors given to verify(), so call stop() before those executors' io_context is
/// destroyed.
class ldap_authenticator final : public authenticator {
 public:
  using clock_function = steady_clock_function;

  ldap_authenticator(const ldap_options& opts, prometheus::Registry& registry, directory_factory make_directory,
                     clock_function clock = steady_clock_now);
  ~ldap_authenticator() override;
  ldap_authenticator(const ldap_authenticator&) = delete;
  ldap_authenticator& operator=(const ldap_authenticator&) = delete;

  std::optional<auth_result> lookup(const credentials& creds, const boost::asio::ip::address& client) override;
  void verify(credentials creds, boost::asio::ip::address client, boost::asio::any_io_executor ex,
              std::function<void(auth_result)> done) override;
  /// Also lifts the lockouts of that user (or of everyone).
  void flush(const std::string& user) override;

  /// Joins the workers. Idempotent; lookup() keeps answering from memory afterwards and
  /// verify() answers `unavailable`.
  void stop();

  /// False while the last directory check found no server (for /readyz: ldap degraded).
  bool directory_reachable() const;

 private:
  struct waiter {
    boost::asio::ip::address client;
    boost::asio::any_io_executor ex;
    std::function<void(auth_result)> done;
  };

  std::optional<auth_result> answer_from_memory(const credentials& creds, const std::string& key,
                                                const boost::asio::ip::address& client, const password_digest& digest,
                                                steady_time now, bool count_miss);
  auth_result finish_one(const std::string& who, const std::string& lock_key, const std::string& user_key,
                         const password_digest& digest, const directory_answer& answer,
                         const boost::asio::ip::address& client, steady_time now);
  void complete(const std::string& key, const std::string& user_key, const password_digest& digest,
                const directory_answer& answer);
  bool record_failure(const std::string& lock_key, const boost::asio::ip::address& client, steady_time now);
  bool directory_down(steady_time now) const;
  auth_result counted(auth_result r);

  ldap_options opts_;
  ldap_metrics metrics_;
  clock_function clock_;
  password_hmac hmac_;
  credential_cache cache_;
  lockout_tracker lockout_;
  std::atomic<std::int64_t> down_until_{0};  // clock ticks; directory skipped until then

  std::mutex in_flight_mutex_;
  std::unordered_map<std::string, std::vector<waiter>> in_flight_;  // key: folded user \0 digest

  std::unique_ptr<ldap_worker_pool> pool_;  // last: its threads use everything above
};

/// Builds the LDAP authenticator with `opts.workers` threads, each with its own service and
/// user-bind connections to `opts.uris`. Metrics go to `registry` (which must outlive it).
/// `opts` are taken as valid: the config schema (app/src/config_schema.cpp) is the one
/// place their rules live. Nothing here can fail: connections are made on first use.
std::unique_ptr<ldap_authenticator> make_ldap_authenticator(const ldap_options& opts, prometheus::Registry& registry);

}  // namespace tollgate::auth
