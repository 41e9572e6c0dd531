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
  not_tried,        ///< the entry was found, but the bind gate stopped the check before the bind
};

struct directory_answer {
  directory_status status = directory_status::error;
  std::vector<std::string> groups;  ///< when ok: group names, nested included, sorted, unique
  std::string reason;               ///< short and safe to log: never the password
  unsigned errors = 0;              ///< LDAP errors met on the way (counted in ldap_errors_total)
  /// Whenever the user's entry was found (ok, a wrong password, not_tried): the directory's
  /// own name for it, the value of `ldap.user_attr` (the lowest when it has several), else
  /// its DN. It, not the name typed, is the identity. Empty when no single entry was found.
  std::string user;
};

/// Asked with the entry's name (directory_answer::user) between finding the user's entry
/// and binding as it: false stops the check before the password reaches the directory.
/// The authenticator's lockout lives here for spellings it did not fold to the entry's name.
using bind_gate = std::function<bool(const std::string& user)>;

/// The seam between the authenticator's memory (cache, lockout, coalescing) and the
/// directory itself. One instance belongs to one worker thread: check() blocks, and is
/// never called concurrently on the same instance.
class directory {
 public:
  virtual ~directory() = default;
  /// Finds the user's entry, asks `may_bind` (when set), binds as the entry with the
  /// password, reads the groups.
  virtual directory_answer check(const credentials& creds, const bind_gate& may_bind) = 0;
  /// Groups of `user` (nested included) as the service account sees them, without any
  /// password: for administrators' dry runs. `ok` with the groups and the entry's name,
  /// `bad_credentials` when the user is unknown or ambiguous.
  virtual directory_answer groups_of(const std::string& user) = 0;
};

/// Makes one directory per worker thread (each with its own connections).
using directory_factory = std::function<std::unique_ptr<directory>()>;

}  // namespace tollgate::auth
