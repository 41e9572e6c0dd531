#include "tollgate/auth/ldap_authenticator.hpp"
#include "tollgate/auth/ldap_directory.hpp"

namespace tollgate::auth {

std::unique_ptr<ldap_authenticator> make_ldap_authenticator(const ldap_options& opts, prometheus::Registry& registry) {
  return std::make_unique<ldap_authenticator>(opts, registry, [opts] { return make_ldap_directory(opts); });
}

}  // namespace tollgate::auth
