#include "admission_waiters.hpp"

#include <boost/asio/post.hpp>

namespace tollgate::proxy::detail {

admission_waiters::admission_waiters(boost::asio::io_context& ioc) : bell_(std::make_shared<doorbell>()) {
  bell_->owner = this;
  bell_->ioc = &ioc;
}

admission_waiters::~admission_waiters() {
  std::lock_guard lock(bell_->mutex);
  bell_->owner = nullptr;
  bell_->ioc = nullptr;
}

void admission_waiters::doorbell::ring() {
  std::lock_guard lock(mutex);
  if (ioc == nullptr) return;
  boost::asio::post(*ioc, [owner = owner] { owner->wake_all(); });
}

audit::admission admission_waiters::admit_or_wait(audit::audit_sink& sink, std::function<void()> on_room) {
  // One callback in the sink per io thread: while it is there, a plain admit() is enough
  // (the room that answer misses will still ring).
  const auto a = asked_ ? sink.admit() : sink.admit_or_notify([bell = bell_] { bell->ring(); });
  if (a != audit::admission::wait) return a;
  asked_ = true;
  waiting_.push_back(std::move(on_room));
  return a;
}

void admission_waiters::wake_all() {
  asked_ = false;
  auto ready = std::move(waiting_);
  waiting_.clear();
  for (auto& on_room : ready) on_room();
}

}  // namespace tollgate::proxy::detail
