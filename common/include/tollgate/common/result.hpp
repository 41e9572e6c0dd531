#pragma once
// The one error shape of Tollgate's factories and adapters.
//
// Every fallible factory or adapter returns `tollgate::result<T>`:
// `boost::system::result<T, tollgate::failure>`. A failure is
//  - `code`: an error_code from the component's own `enum class error` and
//    error_category (as boost/beast/http/error.hpp does it; see
//    tollgate/audit/error.hpp, tollgate/app/error.hpp, tollgate/pg/error.hpp), or a system error
//    (errno, Asio) passed through unchanged. Callers branch on the code;
//  - `detail`: the sentence an operator reads (which file, key, address, and the
//    OS's reason), printed as is. Empty when the code's message says it all.
//
// Why not out-parameters (`std::string& error`), optionals, pairs or variants:
// one shape composes (a factory returns its callee's failure unchanged), cannot be
// ignored by accident, and keeps the operator's message next to a code tests and
// callers can compare (Abseil TotW 76 and 181 make the same case for StatusOr).
// `value()` on a failed result throws std::runtime_error(message()), so the
// start-up code, where exceptions are the rule, may simply call value().
//
// The one exception: validation that reports every problem at once (the config
// loader) returns `boost::system::result<T, std::vector<problem>>`, a list instead
// of the first failure, so an operator fixes a file in one pass.
#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <string>

namespace tollgate {

/// Why a factory or adapter failed: a code to branch on, a sentence to print.
struct failure {
  boost::system::error_code code;
  std::string detail;  ///< the operator's message; empty: code.message() is used

  /// `detail`, or the code's own message when there is no detail.
  std::string message() const { return detail.empty() ? code.message() : detail; }
};

template <class T>
using result = boost::system::result<T, failure>;

/// The current `errno` as a failure (a system code), detail "<what>: <strerror>".
/// Call it straight after the failing system call.
failure errno_failure(const std::string& what);

/// Found by ADL from result<T>::value(): throws std::runtime_error(f.message()).
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);

}  // namespace tollgate
