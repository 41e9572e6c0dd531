#pragma once
#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace tollgate::auth {

/// User name and password from a `Proxy-Authorization: Basic` header.
/// The password lives only as long as the request needs it; it is never logged or stored.
struct credentials {
  std::string user;
  std::string password;
};

/// Why a Proxy-Authorization header could not be used.
enum class credentials_error {
  missing = 1,        ///< no header
  not_basic,          ///< another scheme
  bad_base64,
  no_colon,
  bad_utf8_user,
  too_long,
  empty_user,
  empty_password,     ///< refused before LDAP is asked: an empty-password bind is unauthenticated
  nul_in_password,    ///< refused before LDAP is asked: a C string along the way would cut it short
};

const boost::system::error_category& credentials_category() noexcept;
inline boost::system::error_code make_error_code(credentials_error e) noexcept {
  return {static_cast<int>(e), credentials_category()};
}

/// Well-formed UTF-8: no overlong forms, surrogates or values past U+10FFFF.
bool is_valid_utf8(std::string_view s);

/// Decodes a Proxy-Authorization header value (`Basic <base64(user:password)>`).
boost::system::result<credentials> parse_proxy_authorization(std::string_view header_value);

}  // namespace tollgate::auth

template <>
struct boost::system::is_error_code_enum<tollgate::auth::credentials_error> : std::true_type {};
