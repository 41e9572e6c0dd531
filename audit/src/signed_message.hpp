#pragma once
// The byte layout shared by every message the audit key signs (checkpoints,
// retention records): fixed-width big-endian integers and length-prefixed bytes,
// so no two different messages have the same bytes.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace tollgate::audit::signed_message {

inline void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

inline void put_i64(std::string& out, std::int64_t s) {
  const auto v = static_cast<std::uint64_t>(s);
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>(v >> (8 * i)));
}

inline void put_bytes(std::string& out, std::string_view bytes) {
  put_u32(out, static_cast<std::uint32_t>(bytes.size()));
  out += bytes;
}

inline void put_bytes(std::string& out, std::span<const std::uint8_t> bytes) {
  put_bytes(out, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

/// "2026-01-31T23:59:59.123456Z" for microseconds since the Unix epoch.
std::string rfc3339(std::int64_t us);

}  // namespace tollgate::audit::signed_message
