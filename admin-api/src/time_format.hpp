#pragma once
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

std::int64_t to_unix_micros(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point from_unix_micros(std::int64_t us);

}  // namespace tollgate::admin_api
