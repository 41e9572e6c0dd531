#pragma once
#include "tollgate/audit/canonical.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tollgate::admin_api {

/// Parses an RFC 3339 date-time ("2024-05-01T12:00:00Z", "2024-05-01t12:00:00.5+02:00").
/// The offset is required; fractions keep microseconds. nullopt on anything else,
/// including impossible dates (Feb 30) and out-of-range fields.
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

/// "2024-05-01T12:00:00.123456Z" (UTC, always six fraction digits).
std::string format_rfc3339(std::chrono::system_clock::time_point t);

// One conversion for the whole tree: audit's, which the chain is signed with.
using audit::from_unix_micros;
using audit::to_unix_micros;

}  // namespace tollgate::admin_api
