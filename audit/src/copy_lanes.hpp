#pragma once
#include "tollgate/audit/audit_record.hpp"
#include "tollgate/pg/error.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace tollgate::audit {

/// One database session that takes a batch in two steps, so several sessions can
/// copy at once while their commits stay in order. pg_writer is the real one.
class staged_writer {
 public:
  virtual ~staged_writer() = default;
  /// Opens a transaction and copies `batch` into it, uncommitted. On failure the
  /// transaction is gone.
  virtual pg::result<void> stage(std::span<const audit_record> batch) = 0;
  /// Commits what stage() copied. An error: not committed, or its fate is unknown
  /// (commit_in_doubt), which the spool's idempotent replay settles.
  virtual pg::result<void> commit() = 0;
  /// Rolls back what stage() copied, if anything.
  virtual void abort() noexcept = 0;
};

/// Fresh batches over several connections at once: PostgreSQL spends most of a batch
/// updating indexes in one backend, so one connection leaves the database server's
/// other cores idle. Batches commit strictly in the order they were submitted, so
/// PostgreSQL always holds a gap-free prefix of the chain: a crash never leaves a
/// later batch committed without an earlier one. Once a batch fails, every batch
/// submitted after it is rolled back and reported failed as well, until the caller
/// has collected them all.
class copy_lanes {
 public:
  struct outcome {
    std::vector<audit_record> batch;
    bool committed = false;
    std::string error;
    std::chrono::steady_clock::duration took{};  ///< submit to decision
  };

  /// One thread and one session per writer; at least one.
  explicit copy_lanes(std::vector<std::unique_ptr<staged_writer>> writers);
  /// Lets batches in flight finish, then stops the threads.
  ~copy_lanes();
  copy_lanes(const copy_lanes&) = delete;
  copy_lanes& operator=(const copy_lanes&) = delete;

  std::size_t lanes() const noexcept { return lanes_.size(); }
  /// Whether submit() may be called: the lane next in turn is free.
  bool has_room() const;
  std::size_t in_flight() const;
  /// Hands `batch` to the lane next in turn. Requires has_room().
  void submit(std::vector<audit_record> batch);
  /// Batches decided so far, in submission order. With `wait`, first waits until the
  /// oldest one in flight is decided (returns at once when none is in flight).
  std::vector<outcome> collect(bool wait);
  /// Waits for every batch in flight and returns them all, in submission order.
  std::vector<outcome> settle();

 private:
  struct job {
    std::uint64_t ticket = 0;
    std::chrono::steady_clock::time_point submitted;
    outcome result;
    bool decided = false;
  };
  struct lane {
    std::unique_ptr<staged_writer> writer;
    std::shared_ptr<job> assigned;
    std::thread thread;
  };

  void run(lane& l);
  std::vector<outcome> take_decided();  // with mutex_ held

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<job>> flight_;  // submission order
  std::vector<lane> lanes_;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t next_decision_ = 0;  // the ticket whose turn it is to commit or roll back
  bool failed_ = false;              // a batch failed: all after it roll back
  bool stopping_ = false;
};

}  // namespace tollgate::audit
