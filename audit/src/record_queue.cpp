#include "record_queue.hpp"

namespace tollgate::audit {

bool record_queue::push(audit_record rec) {
  bool notify = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    items_.push_back(std::move(rec));
    size_.store(items_.size(), std::memory_order_relaxed);
    notify = items_.size() == want_;
  }
  // Only the push that completes a batch wakes the writer; the rest wait for the deadline.
  if (notify) ready_.notify_one();
  return true;
}

std::vector<audit_record> record_queue::take(std::size_t max, std::chrono::steady_clock::duration wait) {
  std::unique_lock lock(mutex_);
  if (max == 0) max = 1;
  want_ = max;
  ready_.wait_for(lock, wait, [&] { return items_.size() >= max || woken_ || closed_; });
  woken_ = false;
  const std::size_t n = std::min(max, items_.size());
  std::vector<audit_record> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(std::move(items_.front()));
    items_.pop_front();
  }
  size_.store(items_.size(), std::memory_order_relaxed);
  return out;
}

void record_queue::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  ready_.notify_one();
}

void record_queue::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  ready_.notify_one();
}

bool record_queue::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

}  // namespace tollgate::audit
