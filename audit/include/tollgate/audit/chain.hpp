#pragma once
#include "tollgate/audit/audit_record.hpp"
#include "tollgate/audit/canonical.hpp"

#include <cstdint>
#include <vector>

namespace tollgate::audit {

/// The end of one instance's chain: the last seq and its hash (seq 0 and an empty
/// hash before the first record).
struct chain_head {
  std::int64_t seq = 0;
  std::vector<std::uint8_t> hash;

  /// The prev_hash of the next record: the head's hash, or 32 zero bytes at the start.
  std::vector<std::uint8_t> next_prev_hash() const;
};

/// Appends a sanitized record to the chain: sets instance, seq = head.seq + 1,
/// prev_hash and hash, and moves the head on.
void chain_append(chain_head& head, const std::string& instance, audit_record& rec);
/// The same with a hasher kept across records (the writer's: see chain_hasher).
void chain_append(chain_head& head, const std::string& instance, audit_record& rec, chain_hasher& hash);

}  // namespace tollgate::audit
