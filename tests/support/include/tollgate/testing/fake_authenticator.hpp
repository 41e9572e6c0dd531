#pragma once
// An in-memory authenticator for tests of the proxy, the admin API and the testbed.
#include "tollgate/auth/authenticator.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace tollgate::testing {

/// Static users, answered the way the LDAP authenticator answers: the first check of a
/// user goes through verify() (the directory), later ones come from lookup() (the cache)
/// until flush(). Thread-safe: the proxy calls it from its io threads.
///
/// verify() posts its answer to the caller's executor at once, except for users whose name
/// starts with "slow" while a slow delay is set: those answer after the delay, from a
/// thread of their own (a directory that hangs, for the proxy testbed process).
class fake_authenticator final : public auth::authenticator {
 public:
  struct user {
    std::string password;
    std::vector<std::string> groups;
  };

  void add(std::string name, user u);
  /// While true every check answers `unavailable` (the directory is down).
  void set_unavailable(bool v) { unavailable_ = v; }
  void set_slow_delay(std::chrono::milliseconds d) { slow_delay_ = d; }

  /// The groups of a known user (for the admin API's user_groups service).
  std::optional<std::vector<std::string>> groups_of(const std::string& name) const;
  /// How many times verify() was called.
  int verifies() const { return verifies_.load(); }
  /// The users flush() was called for, in order; "*" for everyone.
  std::vector<std::string> flushed() const;

  std::optional<auth::auth_result> lookup(const auth::credentials& c, const boost::asio::ip::address&) override;
  void verify(auth::credentials c, boost::asio::ip::address, boost::asio::any_io_executor ex,
              std::function<void(auth::auth_result)> done) override;
  void flush(const std::string& user) override;

 private:
  auth::auth_result check(const auth::credentials& c);  // and remembers a user it accepts

  mutable std::mutex mutex_;
  std::map<std::string, user> users_;
  std::set<std::string> cached_;
  std::vector<std::string> flushed_;
  std::atomic<bool> unavailable_{false};
  std::atomic<std::chrono::milliseconds> slow_delay_{std::chrono::milliseconds(0)};
  std::atomic<int> verifies_{0};
};

}  // namespace tollgate::testing
