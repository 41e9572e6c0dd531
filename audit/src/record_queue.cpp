#include "record_queue.hpp"

#include <algorithm>

namespace tollgate::audit {

std::size_t record_bytes(const audit_record& r) noexcept {
  std::size_t n = sizeof(audit_record);
  // Short strings live inside the struct (SSO); capacity() past that is heap memory.
  static const std::size_t inline_capacity = std::string().capacity();
  auto add = [&](const std::string& s) {
    if (s.capacity() > inline_capacity) n += s.capacity() + 1;
  };
  for (const auto* s : {&r.client_ip, &r.username, &r.method, &r.scheme, &r.host, &r.path, &r.decision,
                        &r.upstream_ip, &r.user_agent, &r.error, &r.instance})
    add(*s);
  n += r.groups.capacity() * sizeof(std::string);
  for (const auto& g : r.groups) add(g);
  n += r.prev_hash.capacity() + r.hash.capacity();
  return n;
}

bool record_queue::push(audit_record rec) {
  bool notify = false;
  const std::size_t b = record_bytes(rec);
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    items_.push_back(std::move(rec));
    held_bytes_ += b;
    size_.store(items_.size(), std::memory_order_relaxed);
    bytes_.store(held_bytes_, std::memory_order_relaxed);
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
    held_bytes_ -= std::min(held_bytes_, record_bytes(items_.front()));
    out.push_back(std::move(items_.front()));
    items_.pop_front();
  }
  if (items_.empty()) held_bytes_ = 0;
  size_.store(items_.size(), std::memory_order_relaxed);
  bytes_.store(held_bytes_, std::memory_order_relaxed);
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
