#pragma once
#include "tollgate/audit/canonical.hpp"
#include "tollgate/audit/checkpoint.hpp"
#include "tollgate/common/result.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tollgate::audit {

/// Where and why a chain stops being trustworthy.
struct chain_break {
  std::int64_t seq = 0;
  std::string reason;
};

/// One instance's chain (docs/audit-chain.md, "What `tollgate audit verify` reports").
struct chain_report {
  std::string instance;
  std::uint64_t records = 0;  ///< rows read
  std::int64_t last_seq = 0;  ///< highest seq read
  std::optional<chain_break> broken;
};

struct verify_report {
  bool intact = true;
  std::vector<chain_report> instances;
};

/// Seq range of one instance removed by retention, from a retention record whose
/// signature was verified (retention_record.hpp).
struct dropped_range {
  std::int64_t min_seq = 0;
  std::int64_t max_seq = 0;
  std::vector<std::uint8_t> last_hash;  ///< hash of max_seq
  std::int64_t rows = 0;                ///< rows of the chain the drop removed
  /// Every dropped row was older than this; a checkpoint signed later that names a
  /// seq in the range is a break.
  std::chrono::system_clock::time_point cutoff = std::chrono::system_clock::time_point::max();
  std::string partition;
};

/// Walks one instance's rows in (seq, ts) order and finds the first break. Pure:
/// the PostgreSQL adapter (verify_audit_chains) feeds it; tests feed it directly.
///
/// Retention may only have removed the start of a chain: the dropped ranges that
/// join up from seq 1 make the retained prefix 1..P, and only seqs in it may be
/// missing. Between them, the drops' row counts and the rows still there must
/// account for every seq of the prefix once; a row after a dropped range links to
/// the hash the drop recorded. Ranges that do not join the prefix excuse nothing.
class chain_verifier {
 public:
  /// `checkpoints`: this instance's checkpoints whose signatures were verified;
  /// `dropped`: ranges from retention records whose signatures were verified.
  chain_verifier(std::string instance, std::vector<checkpoint> checkpoints, std::vector<dropped_range> dropped = {});

  /// One row: its canonical encoding as stored (see canonical.hpp), prev_hash, hash.
  void feed(std::int64_t seq, std::string_view encoding, const std::vector<std::uint8_t>& prev_hash,
            const std::vector<std::uint8_t>& hash);
  bool broken() const noexcept { return report_.broken.has_value(); }
  /// Rows past a break, counted without being checked (`max_seq` 0: none).
  void count_unchecked(std::uint64_t rows, std::int64_t max_seq);
  /// Checks the end of the chain against the newest checkpoint, and reports.
  chain_report finish();

 private:
  void fail(std::int64_t seq, std::string reason);
  void keep_retained_prefix();
  void check_checkpoints_against_retention();

  chain_report report_;
  std::vector<checkpoint> checkpoints_;  // by seq
  std::size_t next_checkpoint_ = 0;
  std::vector<dropped_range> dropped_;   // the ranges making up the retained prefix, by min_seq
  std::int64_t prefix_end_ = 0;          // P: seqs 1..P may be missing
  std::int64_t prefix_dropped_rows_ = 0;
  std::int64_t prefix_rows_seen_ = 0;
  std::int64_t expected_seq_ = 1;
  std::vector<std::uint8_t> expected_prev_;
  std::unique_ptr<chain_hasher> hash_ = std::make_unique<chain_hasher>();  // movable verifier
};

struct verify_options {
  std::string dsn;              ///< needs SELECT on audit_log and admin_actions (retention records)
  std::string checkpoint_file;  ///< empty: chains are checked without checkpoints
  std::string key_file;         ///< Ed25519 key (private or public PEM) the checkpoints are signed with
};

/// Verifies every instance's chain in PostgreSQL against the signed checkpoints
/// and the signed retention records. Checkpoint lines that do not parse or whose
/// signature fails are breaks of their own (the file itself was altered), and so is
/// a retention record in admin_actions that the key did not sign (the database
/// owner wrote it). Blocking. Returns the report, or why the check could not be
/// made (error::database_unavailable, error::key_missing, the key's failure).
result<verify_report> verify_audit_chains(const verify_options& opts);

/// The report as the admin API's JSON: {"intact", "instances": [{"instance",
/// "records", "last_seq", "break": null | {"seq", "reason"}}]}.
std::string to_json(const verify_report& r);

}  // namespace tollgate::audit
