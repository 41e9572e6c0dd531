#pragma once
#include "tollgate/admin_api/audit_query.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace tollgate::admin_api {

/// The opaque `cursor` of audit search pages: base64url (no padding) of a versioned
/// text form of the keyset position. Clients must treat it as opaque.
std::string encode_cursor(const audit_cursor& c);
/// nullopt for anything encode_cursor() did not make (bad base64, version, fields).
std::optional<audit_cursor> decode_cursor(std::string_view text);

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace tollgate::admin_api
