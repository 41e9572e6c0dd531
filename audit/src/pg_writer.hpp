#pragma once
#include "copy_lanes.hpp"
#include "tollgate/audit/audit_record.hpp"
#include "tollgate/audit/chain.hpp"
#include "tollgate/pg/error.hpp"

#include <memory>
#include <span>
#include <string>
#include <type_traits>

namespace tollgate::audit {

/// One PostgreSQL connection of the writer (libpqxx stays inside the .cpp). Blocking,
/// and used by one thread at a time. Every libpqxx exception stops here and becomes
/// a pg::failure; a failed call drops the connection, the next one reconnects.
class pg_writer final : public staged_writer {
 public:
  explicit pg_writer(std::string dsn);
  ~pg_writer() override;
  pg_writer(const pg_writer&) = delete;
  pg_writer& operator=(const pg_writer&) = delete;

  bool connected() const noexcept;
  /// Connects (and prepares the session's staging table) unless connected.
  pg::result<void> connect();
  /// How a batch may overlap what PostgreSQL already has.
  enum class batch_kind {
    fresh,   ///< never sent before: COPY straight into audit_log (the fast path)
    replay,  ///< from the spool, maybe partly written before: COPY into a temporary
             ///< table, then `INSERT INTO audit_log SELECT … ON CONFLICT DO NOTHING`
  };
  /// Writes one batch in one transaction: the number of new rows. A fresh batch
  /// whose fate is unknown (commit_in_doubt) must be retried as a replay, which the
  /// spool does.
  pg::result<std::size_t> write(std::span<const audit_record> batch, batch_kind kind);
  /// A fresh batch in two steps (see staged_writer): COPY straight into audit_log.
  pg::result<void> stage(std::span<const audit_record> batch) override;
  pg::result<void> commit() override;
  void abort() noexcept override;
  /// The newest (seq, hash) of `instance` in audit_log, seq 0 when it has none.
  pg::result<chain_head> read_head(const std::string& instance);

 private:
  struct impl;
  // Runs `f` on the connection (made first when there is none); a failure drops it.
  template <class F>
  auto on_connection(F&& f) -> pg::result<std::invoke_result_t<F&, impl&>>;

  std::string dsn_;
  std::unique_ptr<impl> impl_;
};

}  // namespace tollgate::audit
