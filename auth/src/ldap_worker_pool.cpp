#include "ldap_worker_pool.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace tollgate::auth {

ldap_worker_pool::ldap_worker_pool(unsigned threads, std::size_t max_queue, directory_factory factory)
    : max_queue_(max_queue), factory_(std::move(factory)) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

ldap_worker_pool::~ldap_worker_pool() { stop(); }

bool ldap_worker_pool::submit(job j) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(j));
  }
  wake_.notify_one();
  return true;
}

void ldap_worker_pool::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
  std::deque<job> left;
  {
    std::lock_guard lock(mutex_);
    left.swap(queue_);
  }
  for (auto& j : left) j(nullptr);
}

void ldap_worker_pool::run() {
  std::unique_ptr<directory> dir;
  try {
    dir = factory_();
  } catch (const std::exception& e) {
    spdlog::error("ldap worker: cannot set up the directory client: {}", e.what());
  }
  for (;;) {
    job j;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // stop() answers what is left
      j = std::move(queue_.front());
      queue_.pop_front();
    }
    j(dir.get());
  }
}

}  // namespace tollgate::auth
