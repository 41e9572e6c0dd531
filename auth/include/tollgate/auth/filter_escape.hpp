#pragma once
#include <string>
#include <string_view>

namespace tollgate::auth {

/// Escapes a value for use inside an LDAP search filter (RFC 4515 `assertionvalue`):
/// `*`, `(`, `)`, `\`, NUL, control bytes and every byte >= 0x80 become `\XX`, so a
/// user-supplied value can never widen or restructure the filter.
std::string escape_filter_value(std::string_view value);

/// Replaces `{user}` and `{dn}` in a filter template with the escaped values.
/// Other text, including other braces, is copied unchanged.
std::string expand_filter(std::string_view filter_template, std::string_view user, std::string_view dn = {});

}  // namespace tollgate::auth
