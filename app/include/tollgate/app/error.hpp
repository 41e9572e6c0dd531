#pragma once
// The app component's error codes (the shape: tollgate/common/result.hpp). The
// config loader reports each as a config_problem whose message is the failure's
// detail, so the code is for callers and tests, the detail for the operator.
#include <boost/system/error_code.hpp>

#include <type_traits>

namespace tollgate::app {

/// Why a config value was refused.
enum class error {
  bad_number = 1,     ///< not a whole number, or too large
  bad_duration,       ///< not a duration with a unit (10s, 200ms, ...)
  bad_size,           ///< not a size (512MiB, a number of bytes, ...)
  bad_bool,           ///< neither true nor false
  bad_env_reference,  ///< an unterminated `${` or a bad variable name
  env_unset,          ///< `${NAME}` names an unset environment variable
  bad_address,        ///< not host:port, or the port is out of range
  bad_ldap_uri,       ///< not an ldap://, ldaps:// or ldapi:// URI
  bad_ldap_filter,    ///< not one parenthesised filter, or a placeholder missing
  bad_text,           ///< empty, control characters or characters the key cannot carry
  unreadable_file,    ///< a file the key names cannot be read
};

const boost::system::error_category& error_category() noexcept;
boost::system::error_code make_error_code(error e) noexcept;

}  // namespace tollgate::app

template <>
struct boost::system::is_error_code_enum<tollgate::app::error> : std::true_type {};
