#pragma once
#include "tollgate/pg/error.hpp"

#include <pqxx/connection>

#include <memory>
#include <string>

namespace tollgate::pg {

/// Adds `connect_timeout` to a libpq connection string (URI or key=value) unless it
/// names one, so a black-holed server cannot hold a thread for minutes.
std::string with_connect_timeout(const std::string& dsn, int seconds);

/// Opens one connection (blocking). The one place Tollgate constructs a
/// pqxx::connection: the pool uses it, and so do the callers that hold one
/// connection for their whole job (the audit writer, the policy watcher's LISTEN,
/// migrations, verify and upkeep).
result<std::unique_ptr<pqxx::connection>> connect(const std::string& dsn);

}  // namespace tollgate::pg
