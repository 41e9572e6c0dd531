#pragma once
#include "tollgate/auth/credentials.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tollgate::auth {

/// What the directory said about one pair of credentials.
enum class directory_status {
  ok,               ///< the user exists once and the password binds
  bad_credentials,  ///< unknown or ambiguous user, or wrong password
  unreachable,      ///< no server could be reached (or the service account cannot bind)
  error,            ///< a server answered, but with an unexpected error
};

struct directory_answer {
  directory_status status = directory_status::error;
  std::vector<std::string> groups;  ///< when ok: group names, nested included, sorted, unique
  std::string reason;               ///< short and safe to log: never the password
  unsigned errors = 0;              ///< LDAP errors met on the way (counted in ldap_errors_total)
};

/// The seam between the authenticator's memory (cache, lockout, coalescing) and the
/// directory itself. One instance belongs to one worker thread: check() blocks, and is
/// never called concurrently on the same instance.
class directory {
 public:
  virtual ~directory() = default;
  virtual directory_answer check(const credentials& creds) = 0;
  /// Groups of `user` (nested included) as the service account sees them, without any
  /// password: for administrators' dry runs. `ok` with the groups, `bad_credentials`
  /// when the user is unknown or ambiguous.
  virtual directory_answer groups_of(const std::string& user) = 0;
};

/// Makes one directory per worker thread (each with its own connections).
using directory_factory = std::function<std::unique_ptr<directory>()>;

}  // namespace tollgate::auth
