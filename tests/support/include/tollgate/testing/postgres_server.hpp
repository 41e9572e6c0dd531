#pragma once
#include "tollgate/testing/child_process.hpp"
#include "tollgate/testing/temp_dir.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace tollgate::testing {

/// A private PostgreSQL 15 cluster for one test program: initdb in a temp folder,
/// a free loopback port, run as the unprivileged `postgres` user when we are root,
/// database `tollgate` owned by role `tollgate`, every migration applied (so the
/// migrations themselves are tested). Stopped with `pg_ctl stop -m fast` (by the
/// postmaster's PID as a last resort) on destruction.
class postgres_server {
 public:
  /// Throws std::runtime_error with the server log when anything fails.
  static std::unique_ptr<postgres_server> start_new(bool apply_migrations = true);
  ~postgres_server();

  std::uint16_t port() const { return port_; }
  std::string owner_dsn() const;   ///< role tollgate (migrations, rules, admin_actions)
  std::string writer_dsn() const;  ///< role tollgate_writer (INSERT/SELECT on audit_log)
  std::string superuser_dsn() const;
  const std::string& data_dir() const { return data_dir_; }

  void stop();   ///< pg_ctl stop -m fast: an honest outage
  void start();  ///< pg_ctl start on the same folder
  bool running() const { return running_; }

  /// Runs SQL through psql as `role` (default owner); throws with psql's output on failure.
  std::string psql(const std::string& sql, const std::string& role = "tollgate") const;

 private:
  postgres_server() = default;
  std::string pg_bin(const std::string& tool) const;
  std::unique_ptr<temp_dir> dir_;
  std::string data_dir_;
  std::string log_file_;
  std::uint16_t port_ = 0;
  bool running_ = false;
};

/// Folder of the repository's migrations/ (compiled in).
std::string migrations_dir();
/// The built tollgate binary (compiled in).
std::string tollgate_binary();
/// tests/fixtures in the source tree (compiled in).
std::string fixtures_dir();

}  // namespace tollgate::testing
