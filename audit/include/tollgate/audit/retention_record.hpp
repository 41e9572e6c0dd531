#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::audit {

/// One chain's rows in a partition that retention dropped.
struct retained_chain {
  std::string instance;
  std::int64_t min_seq = 0;
  std::int64_t max_seq = 0;
  std::int64_t rows = 0;                ///< rows of this chain the partition held
  std::vector<std::uint8_t> last_hash;  ///< hash of the row with max_seq
};

/// What one retention drop removed, signed with the audit key (the checkpoints'
/// Ed25519 key). It is kept in admin_actions (action
/// 'audit.retention.drop_partition', `before`), where the database owner could
/// write one too: `audit verify` lets a record excuse missing rows only when its
/// signature holds, and only for the start of a chain.
struct retention_record {
  std::string partition;
  unsigned retention_months = 0;
  /// Every dropped row is older than this (the drop's time less retention_months);
  /// a checkpoint signed after it that names a dropped seq shows rows newer than
  /// the retention window were dropped. Microsecond precision.
  std::chrono::system_clock::time_point cutoff{};
  std::vector<retained_chain> chains;
  std::vector<std::uint8_t> signature;  ///< Ed25519 over retention_message()
};

/// The signed bytes: "tollgate-retention-v1\n", the partition (u32 big-endian length
/// and bytes), retention_months and the cutoff (8 bytes big-endian, microseconds
/// since the Unix epoch), the number of chains (u32), then per chain its instance
/// (length and bytes), min_seq, max_seq and rows (8 bytes each) and last_hash
/// (length and bytes).
std::string retention_message(const retention_record& r);

/// The JSON object kept in admin_actions.before: {"partition", "retention_months",
/// "cutoff" (RFC 3339, for people), "cutoff_us", "chains": [{"instance", "min_seq",
/// "max_seq", "rows", "last_hash" (hex)}], "sig" (hex)}.
std::string to_json_text(const retention_record& r);
/// Parses to_json_text() output (or what jsonb made of it); nullopt when a field
/// is missing or has the wrong type. A parsed record is not yet a trusted one:
/// check its signature.
std::optional<retention_record> parse_retention_record(std::string_view json);

}  // namespace tollgate::audit
