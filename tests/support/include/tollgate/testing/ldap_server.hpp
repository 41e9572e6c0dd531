#pragma once
#include "tollgate/testing/child_process.hpp"
#include "tollgate/testing/temp_dir.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace tollgate::testing {

/// A private OpenLDAP slapd loaded from tests/fixtures/directory.ldif, on a free
/// loopback port, in the foreground with `loglevel stats` so tests can read what
/// reached the directory. Stopped by PID on destruction.
class ldap_server {
 public:
  static constexpr const char* base_dn = "dc=example,dc=com";
  static constexpr const char* people_base = "ou=people,dc=example,dc=com";
  static constexpr const char* groups_base = "ou=groups,dc=example,dc=com";
  static constexpr const char* service_dn = "cn=tollgate,ou=services,dc=example,dc=com";
  static constexpr const char* service_password = "service-secret";

  /// Throws std::runtime_error with the server log when anything fails.
  static std::unique_ptr<ldap_server> start_new();
  ~ldap_server();

  std::uint16_t port() const { return port_; }
  std::string uri() const;
  void stop();   ///< SIGTERM by PID, waits
  void start();  ///< same folder, same port
  bool running() const { return running_; }
  std::string log_text() const;
  /// Number of successful simple binds as `dn` seen in the log so far.
  int bind_count(const std::string& dn) const;
  /// Number of simple bind requests as `dn`, successful or not, seen in the log so far.
  int bind_attempts(const std::string& dn) const;

 private:
  ldap_server() = default;
  std::unique_ptr<temp_dir> dir_;
  child_process process_;
  std::uint16_t port_ = 0;
  bool running_ = false;
};

}  // namespace tollgate::testing
