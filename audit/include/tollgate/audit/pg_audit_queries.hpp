#pragma once
#include "tollgate/audit/audit_query.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace tollgate::audit {

/// Audit search, export and top talkers from PostgreSQL (needs SELECT on audit_log).
/// Connections are opened lazily (a database that is down at start-up only fails the
/// calls made while it is down) and kept in a pool of at most `max_connections`.
std::unique_ptr<audit_queries> make_pg_audit_queries(std::string dsn, std::size_t max_connections = 4);

}  // namespace tollgate::audit
