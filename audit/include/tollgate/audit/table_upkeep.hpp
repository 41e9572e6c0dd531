#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace tollgate::audit {

class checkpoint_signer;

/// What one upkeep run did.
struct upkeep_report {
  std::vector<std::string> ensured;  ///< month partitions that exist now (created or already there)
  std::vector<std::string> dropped;  ///< month partitions removed by retention
  std::string retention_refused;     ///< why expired partitions were kept, if they were
};

/// Partition care for audit_log, run as the owner role (postgres.admin_dsn):
/// makes sure the month partitions for `now` and the next `months_ahead` months
/// exist (audit_ensure_partition), and with retention_months > 0 drops every month
/// partition that ended more than retention_months whole months before the current
/// month began. Each drop is recorded in admin_actions (actor 'tollgate', role
/// 'system', action 'audit.retention.drop_partition', target the partition) in the
/// same transaction: a retention_record with each instance's dropped seq range,
/// row count and last hash, signed by `signer` (the audit key), so `audit verify`
/// can tell a retention gap from a deletion and a record the database owner wrote
/// from one Tollgate wrote. Without a signer nothing is dropped (an unsigned drop
/// would read as a deletion forever): retention_refused says so.
/// Blocking; throws std::runtime_error with the reason.
upkeep_report run_table_upkeep(const std::string& admin_dsn, unsigned retention_months,
                               std::chrono::system_clock::time_point now, const checkpoint_signer* signer,
                               int months_ahead = 2);

}  // namespace tollgate::audit
