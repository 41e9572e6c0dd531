#include "tollgate/app/error.hpp"

#include "tollgate/common/error_category.hpp"

namespace tollgate::app {
namespace {

const char* describe(int value) noexcept {
  switch (static_cast<error>(value)) {
    case error::bad_number: return "expected a whole number";
    case error::bad_duration: return "expected a duration such as 10s, 200ms, 5m or 1h";
    case error::bad_size: return "expected a size such as 1GiB, 512MiB, 64KiB or a number of bytes";
    case error::bad_bool: return "expected true or false";
    case error::bad_env_reference: return "malformed ${...} reference";
    case error::env_unset: return "environment variable is not set";
    case error::bad_address: return "expected host:port";
    case error::bad_ldap_uri: return "expected an ldap://, ldaps:// or ldapi:// URI";
    case error::bad_ldap_filter: return "not a usable LDAP filter";
    case error::bad_text: return "text the key cannot carry";
    case error::unreadable_file: return "the file cannot be read";
  }
  return "unknown config error";
}

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const enum_error_category category{"tollgate.config", describe};
  return category;
}

boost::system::error_code make_error_code(error e) noexcept { return {static_cast<int>(e), error_category()}; }

}  // namespace tollgate::app
