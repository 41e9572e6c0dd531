#pragma once
#include "tollgate/admin_api/admin_action_log.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace tollgate::admin_api {

/// `admin_actions` rows through audit's one writer of that table (needs INSERT on
/// admin_actions: the owner role, `postgres.admin_dsn`). Connections are opened lazily
/// (a database that is down at start-up only fails the calls made while it is down)
/// and kept in a small pool of at most `max_connections`. The audit queries the API
/// serves come from audit::make_pg_audit_queries.
std::unique_ptr<admin_action_log> make_pg_admin_action_log(std::string dsn, std::size_t max_connections = 2);

}  // namespace tollgate::admin_api
