#pragma once
// A scripted directory behind the LDAP authenticator, for its unit tests and for the
// in-process proxy tests that need the real cache and lockout.
#include "tollgate/auth/directory.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tollgate::testing {

struct fake_directory_state {
  std::mutex mutex;
  std::condition_variable cv;
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> users;  // user -> (password, groups)
  bool down = false;
  bool hold = false;    // while true, check() waits (to make calls overlap)
  int waiting = 0;      // checks currently held
  std::map<std::string, std::string> aliases;  // spelling -> user, as a case-insensitive directory matches
  std::atomic<int> checks{0};
  std::atomic<int> binds{0};  // checks that reached the bind (the gate let them)

  void add(const std::string& user, const std::string& password, std::vector<std::string> groups) {
    std::lock_guard lock(mutex);
    users[user] = {password, std::move(groups)};
  }
  void set_down(bool d) {
    std::lock_guard lock(mutex);
    down = d;
  }
  void set_hold(bool h) {
    {
      std::lock_guard lock(mutex);
      hold = h;
    }
    cv.notify_all();
  }
  bool wait_for_waiting(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, [&] { return waiting >= n; });
  }
};

class fake_directory final : public auth::directory {
 public:
  explicit fake_directory(std::shared_ptr<fake_directory_state> s) : state_(std::move(s)) {}
  auth::directory_answer check(const auth::credentials& creds, const auth::bind_gate& may_bind) override {
    ++state_->checks;
    std::unique_lock lock(state_->mutex);
    ++state_->waiting;
    state_->cv.notify_all();
    state_->cv.wait(lock, [&] { return !state_->hold; });
    --state_->waiting;
    if (state_->down) return {auth::directory_status::unreachable, {}, "directory unreachable (fake)", 1, {}};
    const auto it = find(creds.user);
    if (it == state_->users.end()) return {auth::directory_status::bad_credentials, {}, "unknown user", 0, {}};
    if (may_bind) {
      lock.unlock();  // the gate takes the authenticator's locks
      const bool go = may_bind(it->first);
      lock.lock();
      if (!go) return {auth::directory_status::not_tried, {}, "stopped before the bind", 0, it->first};
    }
    ++state_->binds;
    if (it->second.first != creds.password)
      return {auth::directory_status::bad_credentials, {}, "invalid credentials", 0, it->first};
    return {auth::directory_status::ok, it->second.second, {}, 0, it->first};
  }
  auth::directory_answer groups_of(const std::string& user) override {
    std::lock_guard lock(state_->mutex);
    if (state_->down) return {auth::directory_status::unreachable, {}, "directory unreachable (fake)", 1, {}};
    const auto it = find(user);
    if (it == state_->users.end()) return {auth::directory_status::bad_credentials, {}, "unknown user", 0, {}};
    return {auth::directory_status::ok, it->second.second, {}, 0, it->first};
  }

 private:
  // As slapd matches uid (caseIgnoreMatch): any spelling in `aliases` finds the entry.
  decltype(fake_directory_state::users)::iterator find(const std::string& typed) {
    const auto alias = state_->aliases.find(typed);
    return state_->users.find(alias == state_->aliases.end() ? typed : alias->second);
  }

  std::shared_ptr<fake_directory_state> state_;
};

inline auth::directory_factory fake_factory(std::shared_ptr<fake_directory_state> s) {
  return [s] { return std::make_unique<fake_directory>(s); };
}

}  // namespace tollgate::testing
