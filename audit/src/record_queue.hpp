#pragma once
#include "tollgate/audit/audit_record.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

namespace tollgate::audit {

/// Memory one queued record holds: the struct and what its strings and vectors own.
/// A record with a 16 KiB path counts for 16 KiB, not as one of `capacity` records.
std::size_t record_bytes(const audit_record& rec) noexcept;

/// Bounded multi-producer, single-consumer queue of records waiting for the writer.
/// Bounded twice: by records and by bytes (record_bytes()), whichever is reached first.
/// push() never waits (beyond one short lock) and takes records even past the bound:
/// the bound is enforced by admission (see audit_sink), not by dropping.
class record_queue {
 public:
  explicit record_queue(std::size_t capacity, std::size_t max_bytes = SIZE_MAX)
      : capacity_(capacity), max_bytes_(max_bytes) {}

  /// False (record not taken) once close() was called.
  bool push(audit_record rec);
  std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }
  std::size_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }
  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t max_bytes() const noexcept { return max_bytes_; }
  bool at_capacity() const noexcept { return size() >= capacity_ || bytes() >= max_bytes_; }
  /// More than half full by either bound: the writer spools instead of waiting on PostgreSQL.
  bool behind() const noexcept { return size() > capacity_ / 2 || bytes() > max_bytes_ / 2; }

  /// Waits until `max` records are queued, `wait` has passed, or wake()/close() was
  /// called, then takes up to `max` records (oldest first). Consumer only. Once it
  /// returns nothing after close(), nothing more can arrive.
  std::vector<audit_record> take(std::size_t max, std::chrono::steady_clock::duration wait);

  /// Interrupts a waiting take() once.
  void wake();
  /// Refuses further push()es and makes take() stop waiting.
  void close();
  bool closed() const;

 private:
  const std::size_t capacity_;
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<audit_record> items_;
  std::atomic<std::size_t> size_{0};
  std::atomic<std::size_t> bytes_{0};
  std::size_t held_bytes_ = 0;  // under mutex_; bytes_ mirrors it for lock-free readers
  std::size_t want_ = 1;  // records the consumer waits for; producers notify when reached
  bool woken_ = false;
  bool closed_ = false;
};

}  // namespace tollgate::audit
