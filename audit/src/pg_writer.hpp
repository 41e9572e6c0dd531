#pragma once
#include "copy_lanes.hpp"
#include "tollgate/audit/audit_record.hpp"
#include "tollgate/audit/chain.hpp"

#include <memory>
#include <optional>
#include <span>
#include <string>

namespace tollgate::audit {

/// Adds `connect_timeout` to a libpq connection string (URI or key=value) unless it
/// names one, so a black-holed server cannot hold a thread for minutes.
std::string with_connect_timeout(const std::string& dsn, int seconds);

/// One PostgreSQL connection of the writer (libpqxx stays inside the .cpp). Blocking,
/// and used by one thread at a time. Every libpqxx exception stops here and becomes
/// an error string; a failed call drops the connection, the next one reconnects.
class pg_writer final : public staged_writer {
 public:
  explicit pg_writer(std::string dsn);
  ~pg_writer() override;
  pg_writer(const pg_writer&) = delete;
  pg_writer& operator=(const pg_writer&) = delete;

  bool connected() const noexcept;
  /// Connects (and prepares the session's staging table) unless connected.
  bool connect(std::string& error);
  /// How a batch may overlap what PostgreSQL already has.
  enum class batch_kind {
    fresh,   ///< never sent before: COPY straight into audit_log (the fast path)
    replay,  ///< from the spool, maybe partly written before: COPY into a temporary
             ///< table, then `INSERT INTO audit_log SELECT … ON CONFLICT DO NOTHING`
  };
  /// Writes one batch in one transaction. Returns the number of new rows, or
  /// nullopt with `error`. A fresh batch whose fate is unknown (the connection broke
  /// at commit) must be retried as a replay, which the spool does.
  std::optional<std::size_t> write(std::span<const audit_record> batch, batch_kind kind, std::string& error);
  /// A fresh batch in two steps (see staged_writer): COPY straight into audit_log.
  bool stage(std::span<const audit_record> batch, std::string& error) override;
  bool commit(std::string& error) override;
  void abort() noexcept override;
  /// The newest (seq, hash) of `instance` in audit_log, seq 0 when it has none.
  std::optional<chain_head> read_head(const std::string& instance, std::string& error);

 private:
  struct impl;
  std::string dsn_;
  std::unique_ptr<impl> impl_;
};

}  // namespace tollgate::audit
