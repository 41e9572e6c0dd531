#pragma once
#include "tollgate/audit/canonical.hpp"
#include "tollgate/audit/checkpoint.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tollgate::audit {

/// Where and why a chain stops being trustworthy.
struct chain_break {
  std::int64_t seq = 0;
  std::string reason;
};

/// One instance's chain (design.md: `audit/verify`).
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

/// Seq range of one instance removed by retention (admin_actions), which is a gap
/// the chain may have without being broken.
struct dropped_range {
  std::int64_t min_seq = 0;
  std::int64_t max_seq = 0;
  std::vector<std::uint8_t> last_hash;  ///< hash of max_seq
};

/// Walks one instance's rows in (seq, ts) order and finds the first break. Pure:
/// the PostgreSQL adapter (verify_audit_chains) feeds it; tests feed it directly.
class chain_verifier {
 public:
  /// `checkpoints`: this instance's checkpoints whose signatures were verified.
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
  bool dropped_gap(std::int64_t from, std::int64_t to) const;

  chain_report report_;
  std::vector<checkpoint> checkpoints_;  // by seq
  std::size_t next_checkpoint_ = 0;
  std::vector<dropped_range> dropped_;
  std::int64_t expected_seq_ = 1;
  std::vector<std::uint8_t> expected_prev_;
  std::unique_ptr<chain_hasher> hash_ = std::make_unique<chain_hasher>();  // movable verifier
};

struct verify_options {
  std::string dsn;              ///< needs SELECT on audit_log (admin_actions too, for retention gaps)
  std::string checkpoint_file;  ///< empty: chains are checked without checkpoints
  std::string key_file;         ///< Ed25519 key (private or public PEM) the checkpoints are signed with
};

/// Verifies every instance's chain in PostgreSQL against the signed checkpoints.
/// Checkpoint lines that do not parse or whose signature fails are breaks of their
/// own (the file itself was altered). Blocking. Returns the report, or why the
/// check could not be made (database unreachable, key unreadable).
std::variant<verify_report, std::string> verify_audit_chains(const verify_options& opts);

/// The report as the admin API's JSON: {"intact", "instances": [{"instance",
/// "records", "last_seq", "break": null | {"seq", "reason"}}]}.
std::string to_json(const verify_report& r);

}  // namespace tollgate::audit
