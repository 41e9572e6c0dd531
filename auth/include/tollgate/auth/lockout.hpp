#pragma once
#include "tollgate/auth/credential_cache.hpp"

#include <boost/asio/ip/address.hpp>

#include <chrono>
#include <cstddef>
#include <list>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tollgate::auth {

struct lockout_options {
  unsigned threshold = 10;                       ///< failures within `window` that lock; 0 = never lock
  std::chrono::milliseconds window{300'000};
  std::chrono::milliseconds duration{900'000};   ///< how long a locked pair stays locked
  std::size_t max_entries = 100'000;             ///< pairs tracked; the least recently failed go first
  std::size_t shards = 16;
};

/// Counts failed logins per (user, client address) in a sliding window. When a pair has
/// failed `threshold` times within `window`, it is locked for `duration`: further attempts
/// are refused without asking the directory. User names are compared ASCII
/// case-insensitively, as directories usually match uid, so `Alice` and `ALICE` share a count.
/// Thread-safe; time is passed in.
class lockout_tracker {
 public:
  explicit lockout_tracker(const lockout_options& opts);

  bool locked(std::string_view user, const boost::asio::ip::address& client, steady_time now) const;
  /// Returns true when this failure locks the pair.
  bool record_failure(std::string_view user, const boost::asio::ip::address& client, steady_time now);
  /// A successful login clears the pair's failures.
  void record_success(std::string_view user, const boost::asio::ip::address& client);
  /// Unlocks every pair of one user (admin flush).
  void forget_user(std::string_view user);
  void clear();
  std::size_t size() const;

 private:
  struct entry {
    std::vector<steady_time> failures;  // within the window, oldest first, at most threshold
    steady_time locked_until{};
    std::list<std::string>::iterator order;
  };
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, entry, string_hash, std::equal_to<>> entries;
    std::list<std::string> order;  // least recently failed first
  };

  static std::string fold_user(std::string_view user);
  static std::string make_key(std::string_view user, const boost::asio::ip::address& client);
  shard& shard_for(std::string_view folded_user) const;

  lockout_options opts_;
  std::size_t per_shard_max_;
  std::unique_ptr<shard[]> shards_;
};

}  // namespace tollgate::auth
