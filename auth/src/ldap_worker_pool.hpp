#pragma once
#include "tollgate/auth/directory.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tollgate::auth {

/// A fixed set of threads, each owning one `directory` (and so its own LDAP connections),
/// taking jobs from one bounded queue. libldap blocks; these threads are where it may.
class ldap_worker_pool {
 public:
  /// Runs on a worker with its directory, or with nullptr when the pool stops before the
  /// job ran (or the directory could not be made): the job must then answer "unavailable".
  using job = std::function<void(directory*)>;

  ldap_worker_pool(unsigned threads, std::size_t max_queue, directory_factory factory);
  ~ldap_worker_pool();
  ldap_worker_pool(const ldap_worker_pool&) = delete;
  ldap_worker_pool& operator=(const ldap_worker_pool&) = delete;

  /// False when the queue is full or the pool is stopping; the job is then not run.
  bool submit(job j);
  /// Stops taking jobs, runs the queued ones with nullptr, waits for in-flight ones, joins.
  /// Idempotent.
  void stop();

 private:
  void run();

  std::size_t max_queue_;
  directory_factory factory_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tollgate::auth
