#pragma once
// Text-to-value conversions for config scalars. Each fails with an app::error
// whose detail is a sentence fit to follow "FILE:LINE: key.path: ".
#include "tollgate/app/error.hpp"
#include "tollgate/common/result.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace tollgate::app::detail {

/// "10s", "200ms", "5m", "1h", "2d". A bare number is refused: a unit is required.
result<std::chrono::milliseconds> parse_duration(std::string_view text);

/// "1GiB", "512MiB", "64KiB", "1TiB", "10B" or a bare number of bytes.
result<std::uint64_t> parse_size(std::string_view text);

/// Decimal digits only (no sign, no spaces, no underscores).
result<std::uint64_t> parse_unsigned(std::string_view text);

/// `true` or `false` (YAML 1.2 core schema; `yes`/`on` are not booleans here).
result<bool> parse_bool(std::string_view text);

/// Looks an environment variable up; nullptr when it is unset.
using env_lookup = std::function<const char*(const std::string&)>;

/// Replaces every `${NAME}` with the variable's value; `$${` stands for a literal `${`.
/// An unset variable or an unterminated `${` is an error naming the variable.
result<std::string> substitute_env(std::string_view text, const env_lookup& lookup);

/// "host:port" or "[v6-address]:port"; port 0..65535 (0 = any free port);
/// host is an IP literal or a DNS name.
result<void> check_listen_address(std::string_view text);

/// ldap://host[:port], ldaps://host[:port] or ldapi://socket.
result<void> check_ldap_uri(std::string_view text);

/// Secret files end with a newline when written by editors and `echo`; it is not part of the secret.
std::string strip_trailing_newlines(std::string text);

/// Levenshtein distance, for "did you mean" hints on unknown keys.
std::size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace tollgate::app::detail
