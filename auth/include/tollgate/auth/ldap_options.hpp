#pragma once
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace tollgate::auth {

/// Directory access and credential caching (config `ldap:`).
struct ldap_options {
  std::vector<std::string> uris{"ldap://127.0.0.1:389"};  ///< tried in order on connection failure
  bool start_tls = false;
  std::string ca_file;                                  ///< for ldaps:// and StartTLS; empty = system store
  std::string bind_dn;
  std::string bind_password;                            ///< from bind_password_file or ${ENV}; never logged
  std::string user_base;
  std::string user_filter = "(uid={user})";
  std::string user_attr = "uid";                        ///< the entry's attribute that names the user: the identity
  std::string group_base;
  std::string group_filter = "(member={dn})";
  std::string group_attr = "cn";
  unsigned nested_group_depth = 3;                      ///< 0 = direct groups only
  unsigned workers = 4;                                 ///< threads, each with its own LDAP connections
  std::chrono::milliseconds network_timeout{3'000};
  std::chrono::milliseconds operation_timeout{5'000};
  std::chrono::milliseconds cache_ttl{300'000};
  std::chrono::milliseconds negative_cache_ttl{30'000};
  std::chrono::milliseconds stale_if_error{3'600'000};  ///< cached users keep working this long while LDAP is down
  std::size_t cache_max_entries = 100'000;
  unsigned lockout_threshold = 10;                      ///< failures per (user, client) within the window
  unsigned lockout_user_threshold = 30;                 ///< failures per user from all clients within the window
  std::size_t lockout_max_entries = 100'000;            ///< counters kept per lockout table (pairs, users)
  std::chrono::milliseconds lockout_window{300'000};
  std::chrono::milliseconds lockout_duration{900'000};
  std::size_t max_pending_checks = 4'096;               ///< directory checks queued for the workers; past it: unavailable
  std::chrono::milliseconds down_retry_interval{2'000}; ///< after the directory was unreachable, answer from memory this long
};

}  // namespace tollgate::auth
