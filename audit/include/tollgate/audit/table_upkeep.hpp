#pragma once
#include <chrono>
#include <string>
#include <vector>

namespace tollgate::audit {

/// What one upkeep run did.
struct upkeep_report {
  std::vector<std::string> ensured;  ///< month partitions that exist now (created or already there)
  std::vector<std::string> dropped;  ///< month partitions removed by retention
};

/// Partition care for audit_log, run as the owner role (postgres.admin_dsn):
/// makes sure the month partitions for `now` and the next `months_ahead` months
/// exist (audit_ensure_partition), and with retention_months > 0 drops every month
/// partition that ended more than retention_months whole months before the current
/// month began. Each drop is recorded in admin_actions (actor 'tollgate', role
/// 'system', action 'audit.retention.drop_partition', target the partition) in the
/// same transaction, with each instance's dropped seq range and last hash in
/// `before`, so `audit verify` can tell a retention gap from a deletion.
/// Blocking; throws std::runtime_error with the reason.
upkeep_report run_table_upkeep(const std::string& admin_dsn, unsigned retention_months,
                               std::chrono::system_clock::time_point now, int months_ahead = 2);

}  // namespace tollgate::audit
