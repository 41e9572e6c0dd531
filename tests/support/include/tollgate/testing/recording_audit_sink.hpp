#pragma once
// An audit sink that keeps the records in memory and lets a test wait for them.
#include "tollgate/audit/audit_sink.hpp"
#include "tollgate/audit/room_waiters.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

namespace tollgate::testing {

/// Keeps every record handed to it. Tests wait for a record to arrive (the sink signals
/// each one) instead of sleeping; the timeout only bounds a test that would otherwise hang.
/// Thread-safe: the proxy records from its io threads.
class recording_audit_sink final : public audit::audit_sink {
 public:
  void set_admission(audit::admission a) {
    admission_ = a;
    if (a != audit::admission::wait) waiters_.notify();
  }
  audit::admission admit() const override { return admission_; }
  audit::admission admit_or_notify(audit::room_callback on_room) override {
    return waiters_.admit_or_keep([this] { return admission_.load(); }, std::move(on_room));
  }
  void record(audit::audit_record r) override;

  /// The records so far, once there are at least `count` of them (or the timeout passed).
  std::vector<audit::audit_record> wait_for(std::size_t count,
                                            std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
  std::vector<audit::audit_record> records() const;

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::vector<audit::audit_record> records_;
  std::atomic<audit::admission> admission_{audit::admission::open};
  audit::room_waiters waiters_;
};

}  // namespace tollgate::testing
