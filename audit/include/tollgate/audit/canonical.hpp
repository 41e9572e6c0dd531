#pragma once
#include "tollgate/audit/audit_record.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// OpenSSL's EVP_MD and EVP_MD_CTX, kept out of this header.
struct evp_md_st;
struct evp_md_ctx_st;

namespace tollgate::audit {

/// The canonical encoding of one audit row (format version 1), the bytes the hash
/// chain covers. docs/audit-chain.md describes the same format for outside verifiers.
///
/// The encoding is the concatenation, in `audit_log` column order, of the 24 fields
///   ts, instance, seq, event, client_ip, client_port, username, groups, method,
///   scheme, host, port, path, status, decision, rule_id, would_rule_id,
///   policy_version, bytes_up, bytes_down, duration_us, upstream_ip, user_agent, error
/// each written as either
///   0x00                                  SQL NULL, or
///   0x01, u32 big-endian length L, L bytes  a value, where the bytes are
///     bigint/int/timestamptz: 8 bytes big-endian two's complement
///                             (ts: microseconds since 1970-01-01T00:00:00Z)
///     text:                   the UTF-8 bytes
///     inet:                   4 (IPv4) or 16 (IPv6) address bytes, network order
///     text[]:                 per element: u32 big-endian length, then its bytes
/// and the chain is `hash = SHA-256(prev_hash || encoding)` with prev_hash = 32 zero
/// bytes for seq 1. Every field is length-delimited, so no two different rows share
/// an encoding.
///
/// How an audit_record maps to columns (and so to the encoding): empty strings of
/// client_ip, username, method, scheme, host, path, upstream_ip, user_agent and error
/// are NULL; groups is always an array (maybe empty); unset rule ids are NULL; every
/// other number is always present.
class canonical_writer {
 public:
  void null();
  void integer(std::int64_t v);
  void text(std::string_view v);
  /// A textual address is stored as its 4 or 16 bytes; text that is not an address
  /// (only possible for a tampered row read back) is stored as-is, which never
  /// matches a real address encoding.
  void inet(std::string_view v);
  void text_array(std::span<const std::string> items);
  void optional_text(std::string_view v) { v.empty() ? null() : text(v); }

  const std::string& bytes() const noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }

 private:
  void header(std::uint32_t len);
  std::string out_;
};

/// Number of fields in a version-1 encoding.
inline constexpr int canonical_field_count = 24;
/// Length of prev_hash and hash.
inline constexpr std::size_t hash_size = 32;

/// ts as the microseconds PostgreSQL stores.
std::int64_t to_unix_micros(std::chrono::system_clock::time_point t) noexcept;
std::chrono::system_clock::time_point from_unix_micros(std::int64_t us) noexcept;

/// Encodes a record that went through sanitize() (instance and seq included,
/// prev_hash and hash excluded).
std::string canonical_encoding(const audit_record& rec);

/// Decodes what canonical_encoding() wrote; false on malformed input.
bool decode_canonical(std::string_view bytes, audit_record& out);

/// SHA-256(prev_hash || encoding).
std::vector<std::uint8_t> chain_hash(std::span<const std::uint8_t> prev_hash, std::string_view encoding);

/// chain_hash() for many records: OpenSSL's SHA-256 is fetched once and its
/// context reused. EVP_sha256() makes OpenSSL 3 look the algorithm up by name
/// (locks, a hash table) on every digest, which cost more than hashing the ~450
/// bytes of a record. Not thread-safe: one per thread.
class chain_hasher {
 public:
  /// Throws std::runtime_error when OpenSSL offers no SHA-256.
  chain_hasher();
  ~chain_hasher();
  chain_hasher(const chain_hasher&) = delete;
  chain_hasher& operator=(const chain_hasher&) = delete;

  std::vector<std::uint8_t> operator()(std::span<const std::uint8_t> prev_hash, std::string_view encoding);

 private:
  ::evp_md_st* md_ = nullptr;
  ::evp_md_ctx_st* ctx_ = nullptr;
};

/// Makes a record storable and its encoding stable: ts truncated to microseconds,
/// addresses in canonical text form (an unparsable one is dropped and named in
/// `error`), strings made valid UTF-8 without NUL bytes (PostgreSQL rejects both),
/// an unknown decision becomes "error", byte counts clamped to bigint.
void sanitize(audit_record& rec);

/// Lower-case hex, and back (false on bad input).
std::string to_hex(std::span<const std::uint8_t> bytes);
bool from_hex(std::string_view hex, std::vector<std::uint8_t>& out);

}  // namespace tollgate::audit
