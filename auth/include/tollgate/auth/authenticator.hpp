#pragma once
#include "tollgate/auth/credentials.hpp"
#include "tollgate/common/identity.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/address.hpp>

#include <functional>
#include <optional>
#include <string>

namespace tollgate::auth {

/// Outcome of checking credentials.
enum class auth_status {
  ok,               ///< identity is valid
  bad_credentials,  ///< wrong password, unknown or ambiguous user, empty password (answer 407)
  locked_out,       ///< too many failures for this user, from this client or from all (answer 407, no bind)
  unavailable,      ///< the directory cannot be reached and nothing cached applies (answer 503)
};

struct auth_result {
  auth_status status = auth_status::bad_credentials;
  /// user always set: the directory's name for the entry (`ldap.user_attr`) once it has
  /// said it, else the name as typed folded (fold_user_name); groups only when ok.
  tollgate::identity who;
  std::string reason;      ///< short, for the audit record's `error` (never contains the password)
};

/// Checks credentials against the directory. Thread-safe: any io thread may call it.
///
/// Lifecycle: the caller first calls lookup(); when it answers, that is final and no
/// I/O happened. When it returns nullopt, the caller calls verify(), which runs the
/// directory check on a worker thread and invokes `done` exactly once, on `ex`.
/// `done` may run after the caller's session is gone: capture a shared_ptr.
class authenticator {
 public:
  virtual ~authenticator() = default;

  /// Answers from memory: cache hit, negative-cache hit, lockout, empty password.
  virtual std::optional<auth_result> lookup(const credentials& creds,
                                            const boost::asio::ip::address& client) = 0;

  /// Asks the directory. Concurrent checks of the same credentials coalesce.
  virtual void verify(credentials creds, boost::asio::ip::address client,
                      boost::asio::any_io_executor ex,
                      std::function<void(auth_result)> done) = 0;

  /// Forgets cached entries: one user's (any spelling of the name), or everyone's when
  /// `user` is empty.
  virtual void flush(const std::string& user) = 0;
};

}  // namespace tollgate::auth
