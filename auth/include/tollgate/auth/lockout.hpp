#pragma once
#include "tollgate/auth/credential_cache.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace tollgate::auth {

namespace detail {
class lockout_table;
}

struct lockout_options {
  unsigned threshold = 10;                       ///< failures per (user, client) within `window` that lock the pair; 0 = off
  unsigned user_threshold = 30;                  ///< failures per user from all clients within `window` that lock the user; 0 = off
  std::chrono::milliseconds window{300'000};
  std::chrono::milliseconds duration{900'000};   ///< how long a lock lasts
  std::size_t max_entries = 100'000;             ///< counters kept in each table (pairs, users)
  std::size_t shards = 16;
};

/// What the lockout says about a login before the directory is asked. Ordered: of two
/// answers for one login, the greater stands (std::max).
enum class lockout_state {
  open,    ///< go ahead
  full,    ///< nothing is counted for this name and there is no room to count it: every
           ///< slot holds an active lock. Refuse a directory check (fail closed); a
           ///< password the credential cache already knows may still pass.
  locked,  ///< the pair or the user is locked: refuse without asking the directory
};

/// Counts failed logins in sliding windows, twice: per (user, client address), which stops
/// one client guessing, and per user over every client, which stops password spraying
/// from many addresses. Either count reaching its threshold locks for `duration`: further
/// attempts are refused without asking the directory. A success clears its pair's count,
/// not the user's (a spray must not be reset by the victim logging in).
///
/// `user` is a key from fold_user_name(): the caller folds, so variants share one count.
/// Bounded (see detail::lockout_table): active locks are never evicted to make room;
/// a table full of them refuses new names (`full`). Thread-safe; time is passed in.
class lockout_tracker {
 public:
  struct failure_outcome {
    bool locked_now = false;  ///< this failure locked the pair or the user
    bool untracked = false;   ///< a table had no room to count it
  };

  explicit lockout_tracker(const lockout_options& opts);
  ~lockout_tracker();
  lockout_tracker(const lockout_tracker&) = delete;
  lockout_tracker& operator=(const lockout_tracker&) = delete;

  lockout_state state(std::string_view user, const boost::asio::ip::address& client, steady_time now) const;
  bool locked(std::string_view user, const boost::asio::ip::address& client, steady_time now) const {
    return state(user, client, now) == lockout_state::locked;
  }
  failure_outcome record_failure(std::string_view user, const boost::asio::ip::address& client, steady_time now);
  /// A successful login clears the pair's failures.
  void record_success(std::string_view user, const boost::asio::ip::address& client);
  /// Unlocks the user and every pair of that user (admin flush).
  void forget_user(std::string_view user);
  void clear();
  std::size_t pairs_tracked() const;
  std::size_t users_tracked() const;

 private:
  static std::string pair_key(std::string_view user, const boost::asio::ip::address& client);

  std::unique_ptr<detail::lockout_table> pairs_;  // key: user \0 address; sharded by user
  std::unique_ptr<detail::lockout_table> users_;  // key: user
};

}  // namespace tollgate::auth
