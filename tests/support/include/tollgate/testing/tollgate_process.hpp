#pragma once
#include "tollgate/testing/child_process.hpp"
#include "tollgate/testing/temp_dir.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace tollgate::testing {

class postgres_server;
class ldap_server;

/// Settings for one `tollgate serve` under test; `extra_yaml` is appended to each
/// section by name (e.g. proxy_extra = "  x_forwarded_for: true\n").
struct tollgate_settings {
  std::string instance = "test";
  std::string proxy_extra;
  std::string admin_extra;
  std::string ldap_extra;
  std::string audit_extra;
  std::string policy_extra;
  std::string bootstrap_rules_yaml;  ///< written to a file and named in policy.bootstrap_rules_file
  std::string dsn_override;          ///< e.g. an unreachable database
  std::string admin_dsn_override;
  std::string ldap_uri_override;
  std::string spool_dir_override;    ///< e.g. a small tmpfs (disk-full tests)
  std::string proxy_listen_host = "127.0.0.1";  ///< e.g. "[::]" (IPv4 clients then arrive as ::ffff:a.b.c.d)
  /// Leave audit.signing_key_file and audit.checkpoint_file out, so serve uses (and
  /// makes) its defaults beside the spool folder: dir()/audit-ed25519.pem, dir()/checkpoints.log.
  bool default_checkpoints = false;
  /// How long serve may take to open its ports (it loads the policy first).
  std::chrono::seconds start_timeout{30};
};

/// The real binary, started with a config that points at the harness's PostgreSQL
/// and slapd, on free loopback ports. Stopped by PID (SIGTERM, then SIGKILL).
class tollgate_process {
 public:
  static std::unique_ptr<tollgate_process> start(postgres_server& pg, ldap_server& ldap,
                                                 const tollgate_settings& settings = {});
  ~tollgate_process();

  std::uint16_t proxy_port() const { return proxy_port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  std::string proxy_url() const { return "http://127.0.0.1:" + std::to_string(proxy_port_); }
  std::string admin_url() const { return "http://127.0.0.1:" + std::to_string(admin_port_); }
  const std::string& config_file() const { return config_file_; }
  std::string log_text() const;
  /// Sum of every series of metric `name` in its /metrics (0 when absent).
  double metric(const std::string& name) const;
  int pid() const { return process_.pid(); }
  const temp_dir& dir() const { return *dir_; }

  int stop(int sig = 15);  ///< returns the waitpid status
  void kill_hard();
  /// Starts it again with the same config (same ports, same spool).
  void restart();
  /// Sends SIGHUP (config reload).
  void reload();

 private:
  tollgate_process() = default;
  void launch();
  std::unique_ptr<temp_dir> dir_;
  child_process process_;
  std::string config_file_;
  std::uint16_t proxy_port_ = 0;
  std::uint16_t admin_port_ = 0;
  std::chrono::seconds start_timeout_{30};
};

/// `curl` with the given arguments; `-s` and a 30 s limit are added.
command_result curl(const std::vector<std::string>& args);

}  // namespace tollgate::testing
