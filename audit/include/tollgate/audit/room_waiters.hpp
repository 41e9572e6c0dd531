#pragma once
#include "tollgate/audit/audit_sink.hpp"

#include <mutex>
#include <utility>
#include <vector>

namespace tollgate::audit {

/// The requests an audit_sink has told to wait (admission::wait), to be told in turn
/// when there is room. For implementations of audit_sink::admit_or_notify().
///
/// The answer and the keeping happen under one lock, and notify() takes the same lock
/// after the room was made: a request that was told to wait is always told again.
class room_waiters {
 public:
  /// Asks `admit` (a callable returning admission) and keeps `on_room` when it says wait.
  template <class Admit>
  admission admit_or_keep(const Admit& admit, room_callback on_room) {
    std::lock_guard lock(mutex_);
    const admission a = admit();
    if (a == admission::wait) waiting_.push_back(std::move(on_room));
    return a;
  }

  /// Calls every kept callback once (outside the lock) and forgets them.
  void notify();

  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::vector<room_callback> waiting_;
};

}  // namespace tollgate::audit
