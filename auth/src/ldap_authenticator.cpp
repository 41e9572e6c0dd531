#include "tollgate/auth/ldap_authenticator.hpp"

#include "ldap_worker_pool.hpp"
#include "tollgate/auth/user_name.hpp"

#include <boost/asio/post.hpp>
#include <openssl/crypto.h>

#include <exception>

namespace tollgate::auth {
namespace {

credential_cache_options cache_options(const ldap_options& o) {
  return {.ttl = o.cache_ttl,
          .negative_ttl = o.negative_cache_ttl,
          .stale_if_error = o.stale_if_error,
          .max_entries = o.cache_max_entries,
          .shards = 16};
}

lockout_options lockout_opts(const ldap_options& o) {
  return {.threshold = o.lockout_threshold,
          .user_threshold = o.lockout_user_threshold,
          .window = o.lockout_window,
          .duration = o.lockout_duration,
          .max_entries = o.lockout_max_entries,
          .shards = 16};
}

std::string coalesce_key(const std::string& user, const password_digest& digest) {
  std::string key = user;
  key += '\0';
  key.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  return key;
}

auth_result make_result(auth_status status, const std::string& user, std::string reason,
                        std::vector<std::string> groups = {}) {
  auth_result r;
  r.status = status;
  r.who.user = user;
  r.who.groups = std::move(groups);
  r.reason = std::move(reason);
  return r;
}

constexpr const char* stale_reason = "directory unavailable; answered from cache";
constexpr const char* locked_reason = "locked out after repeated failed logins";
constexpr const char* full_reason = "lockout table full of active locks; no directory check for a name it cannot count";

}  // namespace

ldap_authenticator::ldap_authenticator(const ldap_options& opts, prometheus::Registry& registry,
                                       directory_factory make_directory, clock_function clock)
    : opts_(opts),
      metrics_(registry),
      clock_(std::move(clock)),
      cache_(cache_options(opts)),
      lockout_(lockout_opts(opts)),
      pool_(std::make_unique<ldap_worker_pool>(std::max(1u, opts.workers), std::max<std::size_t>(1, opts.max_pending_checks),
                                               std::move(make_directory))) {}

ldap_authenticator::~ldap_authenticator() { stop(); }

void ldap_authenticator::stop() { pool_->stop(); }

bool ldap_authenticator::directory_down(steady_time now) const {
  return now.time_since_epoch().count() < down_until_.load(std::memory_order_relaxed);
}

bool ldap_authenticator::directory_reachable() const { return !directory_down(clock_()); }

auth_result ldap_authenticator::counted(auth_result r) {
  switch (r.status) {
    case auth_status::ok: metrics_.auth_ok.Increment(); break;
    case auth_status::bad_credentials: metrics_.auth_bad_credentials.Increment(); break;
    case auth_status::locked_out: metrics_.auth_locked_out.Increment(); break;
    case auth_status::unavailable: metrics_.auth_unavailable.Increment(); break;
  }
  return r;
}

bool ldap_authenticator::record_failure(const std::string& lock_key, const boost::asio::ip::address& client,
                                        steady_time now) {
  const auto f = lockout_.record_failure(lock_key, client, now);
  if (f.untracked) metrics_.lockout_full.Increment();
  return f.locked_now;
}

std::optional<auth_result> ldap_authenticator::answer_from_memory(const credentials& creds, const std::string& key,
                                                                  const boost::asio::ip::address& client,
                                                                  const password_digest& digest, steady_time now,
                                                                  bool count_miss) {
  // An empty password would be an unauthenticated bind, which directories accept.
  if (creds.password.empty()) return counted(make_result(auth_status::bad_credentials, key, "empty password"));
  if (creds.password.find('\0') != std::string::npos)
    return counted(make_result(auth_status::bad_credentials, key, "password contains a NUL byte"));
  if (key.empty()) return counted(make_result(auth_status::bad_credentials, key, "empty user name"));

  auto cached = cache_.lookup(key, digest, now);
  // Once the directory has named the entry behind this spelling, that name is who it is:
  // the answer carries it, and its lockout counts (a spelling folded elsewhere is checked
  // under both keys).
  const std::string& who = cached.user.empty() ? key : cached.user;
  const std::string& lock_key = cached.user_key.empty() ? key : cached.user_key;
  auto state = lockout_.state(key, client, now);
  if (!cached.user_key.empty()) state = std::max(state, lockout_.state(lock_key, client, now));
  if (state == lockout_state::locked) return counted(make_result(auth_status::locked_out, who, locked_reason));

  switch (cached.result) {
    case cache_answer::kind::hit:
      metrics_.cache_hit.Increment();
      lockout_.record_success(lock_key, client);
      return counted(make_result(auth_status::ok, who, {}, std::move(cached.groups)));
    case cache_answer::kind::negative: {
      metrics_.cache_negative.Increment();
      const bool now_locked = record_failure(lock_key, client, now);
      return counted(make_result(auth_status::bad_credentials, who,
                                 now_locked ? "invalid credentials (cached); now locked out" : "invalid credentials (cached)"));
    }
    case cache_answer::kind::stale:
      if (directory_down(now)) {
        metrics_.cache_hit.Increment();
        return counted(make_result(auth_status::ok, who, stale_reason, std::move(cached.groups)));
      }
      break;
    case cache_answer::kind::miss:
      break;
  }
  // Fail closed: a failure for this name could not be counted, so the directory is not
  // asked (a password the cache knows has passed above).
  if (state == lockout_state::full) {
    metrics_.lockout_full.Increment();
    return counted(make_result(auth_status::locked_out, who, full_reason));
  }
  if (count_miss) metrics_.cache_miss.Increment();
  return std::nullopt;
}

std::optional<auth_result> ldap_authenticator::lookup(const credentials& creds, const boost::asio::ip::address& client) {
  const std::string key = fold_user_name(creds.user);
  if (creds.password.empty()) return answer_from_memory(creds, key, client, {}, clock_(), true);
  return answer_from_memory(creds, key, client, hmac_.digest(creds.password), clock_(), true);
}

void ldap_authenticator::verify(credentials creds, boost::asio::ip::address client, boost::asio::any_io_executor ex,
                                std::function<void(auth_result)> done) {
  const auto now = clock_();
  const auto digest = creds.password.empty() ? password_digest{} : hmac_.digest(creds.password);
  const std::string user_key = fold_user_name(creds.user);
  auto deliver = [&](auth_result r) {
    boost::asio::post(ex, [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
  };
  // Another check may have finished since the caller's lookup(); and verify() must be
  // safe on its own (empty password, lockout) even when lookup() was skipped.
  if (auto r = answer_from_memory(creds, user_key, client, digest, now, false)) return deliver(std::move(*r));
  if (directory_down(now)) {
    return deliver(counted(make_result(auth_status::unavailable, user_key, "directory unreachable")));
  }

  auto key = coalesce_key(user_key, digest);
  {
    std::unique_lock lock(in_flight_mutex_);
    const auto it = in_flight_.find(key);
    if (it != in_flight_.end()) {
      it->second.push_back({client, ex, std::move(done)});
      return;  // the check already under way answers this caller too
    }
    // A check of these credentials may have completed since answer_from_memory() above:
    // it stores its answer before it leaves in_flight_, so under this lock the cache
    // tells whether one more directory check is really needed.
    const auto settled = cache_.lookup(user_key, digest, now).result;
    if (settled == cache_answer::kind::hit || settled == cache_answer::kind::negative) {
      lock.unlock();
      if (auto r = answer_from_memory(creds, user_key, client, digest, clock_(), false)) return deliver(std::move(*r));
      lock.lock();
    }
    auto [entry, first] = in_flight_.try_emplace(key);
    entry->second.push_back({client, ex, std::move(done)});
    if (!first) return;
  }

  auto job = [this, key, user_key, client, creds = std::move(creds), digest](directory* dir) mutable {
    directory_answer answer;
    if (dir == nullptr) {
      answer.status = directory_status::unreachable;
      answer.reason = "authenticator stopping";
    } else {
      // The lockout once more, under the entry's own name, before the password is tried:
      // for a spelling that folded elsewhere, or a lock that came while this check queued.
      auto seen = lockout_state::open;
      const bind_gate gate = [&](const std::string& user) {
        seen = lockout_.state(fold_user_name(user), client, clock_());
        return seen == lockout_state::open;
      };
      const auto started = std::chrono::steady_clock::now();
      try {
        answer = dir->check(creds, gate);
      } catch (const std::exception& e) {
        answer = {directory_status::error, {}, std::string("directory client failed: ") + e.what(), 1, {}};
      }
      metrics_.ldap_request_duration.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
      if (answer.status == directory_status::not_tried) {
        if (seen == lockout_state::full) metrics_.lockout_full.Increment();
        answer.reason = seen == lockout_state::full ? full_reason : locked_reason;
      }
    }
    OPENSSL_cleanse(creds.password.data(), creds.password.size());
    complete(key, user_key, digest, answer);
  };
  if (!pool_->submit(std::move(job))) {
    complete(key, user_key, digest, {directory_status::error, {}, "directory check queue full", 0, {}});
  }
}

// `who`: the directory's name for the entry (else the typed name's key); `lock_key`: its
// fold, under which the lockout counts; `user_key`: the typed name's key (the cache's).
auth_result ldap_authenticator::finish_one(const std::string& who, const std::string& lock_key,
                                           const std::string& user_key, const password_digest& digest,
                                           const directory_answer& answer, const boost::asio::ip::address& client,
                                           steady_time now) {
  switch (answer.status) {
    case directory_status::ok:
      // The gate asked for the first client only; another client may be locked out of
      // this entry under a spelling of its own.
      if (lockout_.state(lock_key, client, now) == lockout_state::locked)
        return counted(make_result(auth_status::locked_out, who, locked_reason));
      lockout_.record_success(lock_key, client);
      return counted(make_result(auth_status::ok, who, {}, answer.groups));
    case directory_status::bad_credentials: {
      const bool now_locked = record_failure(lock_key, client, now);
      return counted(make_result(auth_status::bad_credentials, who,
                                 now_locked ? answer.reason + "; now locked out" : answer.reason));
    }
    case directory_status::not_tried:
      return counted(make_result(auth_status::locked_out, who, answer.reason));
    case directory_status::unreachable:
    case directory_status::error:
      break;
  }
  // The directory could not answer: a cached user with this password keeps working
  // within stale_if_error; anyone else gets "unavailable" (503), not a password prompt.
  auto cached = cache_.lookup(user_key, digest, now);
  if (cached.result == cache_answer::kind::hit || cached.result == cache_answer::kind::stale)
    return counted(make_result(auth_status::ok, cached.user.empty() ? who : cached.user, stale_reason,
                               std::move(cached.groups)));
  return counted(make_result(auth_status::unavailable, who, answer.reason));
}

void ldap_authenticator::complete(const std::string& key, const std::string& user_key, const password_digest& digest,
                                  const directory_answer& answer) {
  const auto now = clock_();
  if (answer.errors > 0) metrics_.ldap_errors.Increment(answer.errors);
  const std::string& who = answer.user.empty() ? user_key : answer.user;
  switch (answer.status) {
    case directory_status::ok:
      cache_.store_positive(user_key, who, digest, answer.groups, now);
      down_until_.store(0, std::memory_order_relaxed);
      break;
    case directory_status::bad_credentials:
      cache_.store_negative(user_key, answer.user, digest, now);
      down_until_.store(0, std::memory_order_relaxed);
      break;
    case directory_status::unreachable:
      down_until_.store((now + opts_.down_retry_interval).time_since_epoch().count(), std::memory_order_relaxed);
      break;
    case directory_status::error:
    case directory_status::not_tried:
      break;
  }
  const std::string lock_key = answer.user.empty() ? user_key : fold_user_name(answer.user);
  std::vector<waiter> waiters;
  {
    std::lock_guard lock(in_flight_mutex_);
    const auto it = in_flight_.find(key);
    if (it != in_flight_.end()) {
      waiters = std::move(it->second);
      in_flight_.erase(it);
    }
  }
  for (auto& w : waiters) {
    auto r = finish_one(who, lock_key, user_key, digest, answer, w.client, now);
    boost::asio::post(w.ex, [done = std::move(w.done), r = std::move(r)]() mutable { done(std::move(r)); });
  }
}

void ldap_authenticator::flush(const std::string& user) {
  if (user.empty()) {
    cache_.flush_all();
    lockout_.clear();
    return;
  }
  // Any spelling flushes the person: the key it folds to, and the directory's names for
  // the entries cached under it.
  const std::string key = fold_user_name(user);
  for (const auto& name : cache_.flush(key)) lockout_.forget_user(name);
  lockout_.forget_user(key);
}

}  // namespace tollgate::auth
