#include "tollgate/audit/room_waiters.hpp"

namespace tollgate::audit {

void room_waiters::notify() {
  std::vector<room_callback> ready;
  {
    std::lock_guard lock(mutex_);
    if (waiting_.empty()) return;
    ready.swap(waiting_);
  }
  for (auto& on_room : ready) on_room();
}

std::size_t room_waiters::size() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

}  // namespace tollgate::audit
