#include "tollgate/testing/fake_authenticator.hpp"

#include <boost/asio/post.hpp>

#include <thread>

namespace tollgate::testing {

void fake_authenticator::add(std::string name, user u) {
  std::lock_guard lock(mutex_);
  users_[std::move(name)] = std::move(u);
}

std::optional<std::vector<std::string>> fake_authenticator::groups_of(const std::string& name) const {
  std::lock_guard lock(mutex_);
  const auto it = users_.find(name);
  if (it == users_.end()) return std::nullopt;
  return it->second.groups;
}

std::vector<std::string> fake_authenticator::flushed() const {
  std::lock_guard lock(mutex_);
  return flushed_;
}

std::optional<auth::auth_result> fake_authenticator::lookup(const auth::credentials& c,
                                                            const boost::asio::ip::address&) {
  {
    std::lock_guard lock(mutex_);
    if (!cached_.contains(c.user)) return std::nullopt;
  }
  return check(c);
}

void fake_authenticator::verify(auth::credentials c, boost::asio::ip::address, boost::asio::any_io_executor ex,
                                std::function<void(auth::auth_result)> done) {
  ++verifies_;
  const auto delay = slow_delay_.load();
  if (delay.count() == 0 || !c.user.starts_with("slow")) {
    boost::asio::post(ex, [r = check(c), done = std::move(done)] { done(r); });
    return;
  }
  std::thread([this, c = std::move(c), ex, done = std::move(done), delay] {
    std::this_thread::sleep_for(delay);
    boost::asio::post(ex, [r = check(c), done] { done(r); });
  }).detach();
}

void fake_authenticator::flush(const std::string& user) {
  std::lock_guard lock(mutex_);
  flushed_.push_back(user.empty() ? "*" : user);
  if (user.empty()) cached_.clear();
  else cached_.erase(user);
}

auth::auth_result fake_authenticator::check(const auth::credentials& c) {
  auth::auth_result r;
  r.who.user = c.user;
  if (unavailable_) {
    r.status = auth::auth_status::unavailable;
    r.reason = "directory down (fake)";
    return r;
  }
  std::lock_guard lock(mutex_);
  const auto it = users_.find(c.user);
  if (it == users_.end() || it->second.password != c.password) {
    r.status = auth::auth_status::bad_credentials;
    r.reason = "bad credentials";
    return r;
  }
  r.status = auth::auth_status::ok;
  r.who.groups = it->second.groups;
  cached_.insert(c.user);
  return r;
}

}  // namespace tollgate::testing
