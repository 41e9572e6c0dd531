#pragma once
#include "tollgate/audit/audit_record.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

namespace tollgate::audit {

/// Bounded multi-producer, single-consumer queue of records waiting for the writer.
/// push() never waits (beyond one short lock) and takes records even past the bound:
/// the bound is enforced by admission (see audit_sink), not by dropping.
class record_queue {
 public:
  explicit record_queue(std::size_t capacity) : capacity_(capacity) {}

  /// False (record not taken) once close() was called.
  bool push(audit_record rec);
  std::size_t size() const noexcept { return size_.load(std::memory_order_relaxed); }
  std::size_t capacity() const noexcept { return capacity_; }
  bool at_capacity() const noexcept { return size() >= capacity_; }

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
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<audit_record> items_;
  std::atomic<std::size_t> size_{0};
  std::size_t want_ = 1;  // records the consumer waits for; producers notify when reached
  bool woken_ = false;
  bool closed_ = false;
};

}  // namespace tollgate::audit
