#pragma once
#include "tollgate/admin_api/admin_action_log.hpp"
#include "tollgate/admin_api/audit_query.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace tollgate::admin_api {

/// PostgreSQL implementations of the admin API's own storage needs. Connections are
/// opened lazily (a database that is down at start-up only fails the calls made while
/// it is down) and kept in a small pool of at most `max_connections`.

/// `admin_actions` rows (needs INSERT on admin_actions: the owner role, `postgres.admin_dsn`).
std::unique_ptr<admin_action_log> make_pg_admin_action_log(std::string dsn, std::size_t max_connections = 2);

/// Audit search, export and top talkers (needs SELECT on audit_log).
std::unique_ptr<audit_queries> make_pg_audit_queries(std::string dsn, std::size_t max_connections = 4);

}  // namespace tollgate::admin_api
