#pragma once
#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <exception>
#include <string>
#include <type_traits>

namespace tollgate::pg {

/// What went wrong talking to PostgreSQL, as far as a caller decides on it.
enum class error {
  connection_lost = 1,    ///< could not connect, or the connection broke before the outcome was known to be none
  commit_in_doubt,        ///< the connection broke during COMMIT: the transaction may or may not have landed
  serialization_failure,  ///< serialization failure or deadlock: the transaction was rolled back, a retry may pass
  constraint_violation,   ///< unique, foreign key, check or not-null constraint (SQLSTATE class 23)
  permission_denied,      ///< the role lacks a privilege (42501)
  timeout,                ///< statement_timeout or a cancel (57014)
  query_failed,           ///< any other error the server reported (syntax, undefined table, ...)
  client_error,           ///< libpqxx refused before the server saw it (usage, conversion, unexpected rows)
  bad_data,               ///< the server answered with a value the schema rules out (found by the caller)
};

const boost::system::error_category& error_category() noexcept;

inline boost::system::error_code make_error_code(error e) noexcept {
  return {static_cast<int>(e), error_category()};
}

/// An error with the server's (or libpqxx's) message kept for the log.
struct failure {
  boost::system::error_code code;
  std::string message;
};

/// The result of every call into the database.
template <class T>
using result = boost::system::result<T, failure>;

/// `result<T>::value()` on an error throws std::runtime_error with the message, for
/// control-plane callers that report exceptions (found by argument-dependent lookup).
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

/// Maps the exception in flight (call from a catch block) to a failure.
failure from_exception(std::exception_ptr e) noexcept;

/// Runs `f` and hands back its value, or the failure its exception maps to: the
/// edge where libpqxx's exceptions stop.
template <class F>
auto capture(F&& f) noexcept -> result<std::invoke_result_t<F&>> {
  try {
    if constexpr (std::is_void_v<std::invoke_result_t<F&>>) {
      f();
      return {};
    } else {
      return f();
    }
  } catch (...) {
    return from_exception(std::current_exception());
  }
}

}  // namespace tollgate::pg

template <>
struct boost::system::is_error_code_enum<tollgate::pg::error> : std::true_type {};
