#pragma once
#include <string>
#include <vector>

namespace tollgate::app {

/// What one `tollgate migrate` run did.
struct migration_report {
  std::vector<std::string> applied;  ///< file names applied by this run, in order
  std::size_t already_applied = 0;   ///< migrations found recorded before this run
};

/// Applies the pending `NNNN_name.sql` files of `dir` to the database at `dsn`, in
/// order, each in its own transaction and recorded in `schema_migrations`. Holds a
/// PostgreSQL advisory lock for the whole run, so instances starting together
/// don't race. Refuses to run when an applied migration's file was edited since.
/// Throws std::runtime_error with a readable message on failure (control plane).
migration_report apply_migrations(const std::string& dsn, const std::string& dir);

/// The migrations folder: `flag` if given, else $TOLLGATE_MIGRATIONS_DIR, else
/// ./migrations, else the installed share/tollgate/migrations. Empty when none exists.
std::string resolve_migrations_dir(const std::string& flag);

}  // namespace tollgate::app
