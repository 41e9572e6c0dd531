#pragma once
#include "tollgate/audit/audit_record.hpp"
#include "tollgate/audit/chain.hpp"
#include "tollgate/audit/error.hpp"
#include "tollgate/common/result.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace tollgate::audit {

/// CRC-32C (Castagnoli), the checksum of every spool frame.
std::uint32_t crc32c(const void* data, std::size_t len) noexcept;

/// The on-disk spool of one instance: sealed records that have not reached
/// PostgreSQL yet, in seq order, in append-only files
/// `<dir>/<instance>.<number>.spool`.
///
/// A file is a sequence of frames: u32 big-endian payload length, u32 big-endian
/// CRC-32C of the payload, payload = canonical encoding || prev_hash || hash.
/// Each append() writes a whole batch with one write() and fdatasync()s it.
/// open() checks every frame; a torn or corrupt tail (crash mid-write: nothing
/// valid follows it) is cut off with a log line and never replayed.
///
/// A bad frame with good frames after it is damage, not a torn write: the file is
/// quarantined whole (hard-linked aside as `<file>.quarantined`, never read again
/// by Tollgate, kept for an operator) and replaced by a copy of its good frames,
/// before and after the bad stretch, in order; that copy is replayed like any
/// other file, so each good record is replayed once. The same happens when replay
/// meets a frame that went bad on disk since (frames already delivered are not in
/// the copy). Only the bad stretch is lost, and its seqs show as a gap in
/// `audit verify`.
///
/// Reading (peek/consume) and appending may interleave; the spool is used by one
/// thread (the writer) only. The instance's lock file keeps a second process off.
class spool {
 public:
  /// Creates `dir` if needed, takes `<instance>.lock`, checks every file. Fails with
  /// the OS error, error::spool_in_use or error::spool_damaged.
  static result<std::unique_ptr<spool>> open(const std::string& dir, const std::string& instance, std::uint64_t max_bytes,
                          std::uint64_t rotate_bytes = 64ull << 20);
  ~spool();
  spool(const spool&) = delete;
  spool& operator=(const spool&) = delete;

  /// Appends a batch durably. Fails with errc::no_space_on_device, writing nothing,
  /// when it would pass max_bytes (unless ignore_limit), or with the OS error.
  std::error_code append(std::span<const audit_record> batch, bool ignore_limit = false);

  bool has_pending() const noexcept { return pending_records_ > 0; }
  std::uint64_t pending_records() const noexcept { return pending_records_; }
  std::uint64_t bytes() const noexcept { return bytes_; }
  std::uint64_t max_bytes() const noexcept { return max_bytes_; }
  /// Whether a batch of `extra` more bytes would still fit.
  bool has_room(std::uint64_t extra = 0) const noexcept { return bytes_ + extra <= max_bytes_; }

  /// Up to `max` of the oldest unconsumed records, without consuming them.
  std::vector<audit_record> peek(std::size_t max);
  /// Marks the records of the last peek() as delivered; removes files fully delivered.
  void consume();

  /// The newest record the spool holds or held since open (seq 0 when none).
  const chain_head& head() const noexcept { return head_; }
  /// Bytes cut off at open() as torn or corrupt.
  std::uint64_t dropped_bytes() const noexcept { return dropped_bytes_; }
  /// Quarantined files of this instance in the folder (found at open or made since).
  std::uint64_t quarantined_files() const noexcept { return quarantined_files_; }

  /// Remembers the chain head in `<instance>.head` (write + rename, no fsync: it
  /// survives a process crash; the spool and PostgreSQL are the durable sources).
  void save_head(const chain_head& head);
  /// The head saved last, seq 0 when none.
  chain_head saved_head() const;

 private:
  struct file {
    std::uint64_t number = 0;
    std::string path;
    std::uint64_t size = 0;
    std::uint64_t records = 0;  // not yet consumed
  };
  spool() = default;
  bool scan(file& f, bool last);
  int salvage(file& f, std::uint64_t from, std::uint64_t bad_at, const char* problem);
  std::vector<audit_record> peek_past_damage(std::uint64_t off, std::size_t max);
  std::error_code start_file();

  std::string dir_;
  std::string stem_;  // file-safe instance name
  std::uint64_t max_bytes_ = 0;
  std::uint64_t rotate_bytes_ = 0;
  int lock_fd_ = -1;
  int write_fd_ = -1;
  std::vector<file> files_;  // oldest first; the last is the one appended to
  std::uint64_t read_offset_ = 0;  // in files_.front()
  std::uint64_t peek_end_ = 0;
  std::size_t peek_count_ = 0;
  std::uint64_t pending_records_ = 0;
  std::uint64_t bytes_ = 0;
  std::uint64_t dropped_bytes_ = 0;
  std::uint64_t quarantined_files_ = 0;
  chain_head head_;
};

}  // namespace tollgate::audit
