#pragma once
#include <string>

// Declared, not included: <pqxx/...> stays out of public headers (libpqxx 6.4 is
// sensitive to the language standard). Callers include tollgate/pg/transaction.hpp.
namespace pqxx {
class transaction_base;
}

namespace tollgate::audit {

/// One row of `admin_actions`: a change made by an administrator (through the admin
/// API) or by Tollgate itself (retention), with the state before and after.
struct admin_action_row {
  std::string actor;   ///< user name, "token:<name>", or "tollgate" for the system
  std::string role;    ///< admin|auditor|system
  std::string action;  ///< e.g. "rule.update", "config.reload", "audit.retention.drop_partition"
  std::string target;  ///< e.g. "rule/42"; empty: NULL
  std::string before;  ///< JSON text; empty: NULL
  std::string after;   ///< JSON text; empty: NULL
  std::string client_ip;  ///< textual address; empty: NULL
};

/// The one INSERT into admin_actions. It runs in the caller's transaction, so a
/// change and its record commit together or not at all (a rule change, a dropped
/// partition). Needs INSERT on admin_actions (the owner role). Throws what libpqxx
/// throws: call it inside pg::in_transaction or pg::capture.
void record_admin_action(pqxx::transaction_base& tx, const admin_action_row& a);

}  // namespace tollgate::audit
