#pragma once
#include "tollgate/auth/directory.hpp"
#include "tollgate/auth/ldap_options.hpp"

#include <memory>

namespace tollgate::auth {

/// A directory on libldap for one worker thread. It keeps two connections, opened lazily
/// and reopened after an error, each time trying `opts.uris` in order (StartTLS or ldaps://
/// with `ca_file` as configured):
/// - the service connection, bound as `bind_dn`, for the user and group searches;
/// - the user connection, on which the user's own DN binds with the given password.
/// check(): search `user_base` with `user_filter` ({user} escaped, size limit 2) for exactly
/// one entry; bind as it; then read groups (`group_filter`, {dn} and {user} escaped) and
/// nested groups up to `nested_group_depth`, loop-safe; names are `group_attr` values.
std::unique_ptr<directory> make_ldap_directory(const ldap_options& opts);

}  // namespace tollgate::auth
