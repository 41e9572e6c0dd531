#pragma once
#include "tollgate/audit/audit_sink.hpp"
#include "tollgate/audit/options.hpp"
#include "tollgate/common/result.hpp"

#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace tollgate::audit {

/// How the pipeline fares, for /readyz.
enum class audit_health {
  ok,        ///< writing to PostgreSQL, nothing waiting in the spool
  degraded,  ///< PostgreSQL down or behind: records go to the spool, which has room; or a
             ///< damaged spool file was quarantined and waits for an operator
  down,      ///< queue and spool full: requests wait or are refused (on_spool_full)
};
std::string_view to_string(audit_health h) noexcept;

/// The production audit_sink: records are sealed into the instance's hash chain
/// and written to PostgreSQL in batches, through a local spool while PostgreSQL is
/// down or behind. Threads: one writer thread (queue → chain → COPY or spool,
/// spool replay, checkpoints) and one upkeep thread (partitions ahead of time,
/// retention; connects with admin_dsn once at start and then hourly).
///
/// Order: while the spool holds anything, new batches are appended to it too, and
/// it is replayed oldest first; so rows reach PostgreSQL in seq order and a
/// checkpoint never names a seq that PostgreSQL lacks rows before.
///
/// Lifecycle: create() → admit()/record() from any thread → stop() (or the
/// destructor). stop() drains the queue to PostgreSQL or the spool, signs a final
/// checkpoint and joins the threads. Stop the proxy first: a record() after stop()
/// cannot be written and is counted in tollgate_audit_records_lost_total.
class pg_audit_sink final : public audit_sink {
 public:
  /// Opens the spool (taking its lock: one process per instance name and folder),
  /// loads the signing key, finds where the chain left off (the newest of
  /// PostgreSQL, the spool and the spool's head file), starts both threads.
  /// PostgreSQL need not be up: the chain then continues from the spool.
  /// Returns the sink, or why it cannot start (detail names the config key). `opts`
  /// are taken as valid: the config schema (app/src/config_schema.cpp) checks them.
  static result<std::unique_ptr<pg_audit_sink>> create(const options& opts, prometheus::Registry& registry);
  ~pg_audit_sink() override;

  admission admit() const override;
  admission admit_or_notify(room_callback on_room) override;
  void record(audit_record rec) override;

  /// Drains and stops; idempotent; blocks until the queue is in PostgreSQL or the spool.
  void stop();

  audit_health health() const;
  const std::string& instance() const noexcept;

  struct impl;

 private:
  explicit pg_audit_sink(std::unique_ptr<impl> i);
  std::unique_ptr<impl> impl_;
};

}  // namespace tollgate::audit
