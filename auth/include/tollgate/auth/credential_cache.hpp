#pragma once
#include "tollgate/auth/credential_cache_hmac.hpp"

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

using steady_time = std::chrono::steady_clock::time_point;

struct credential_cache_options {
  std::chrono::milliseconds ttl{300'000};           ///< a positive entry answers this long
  std::chrono::milliseconds negative_ttl{30'000};   ///< a wrong password answers this long
  std::chrono::milliseconds stale_if_error{3'600'000};  ///< past ttl, usable only while the directory is down
  std::size_t max_entries = 100'000;                ///< users held; the oldest stored go first
  std::size_t shards = 16;                          ///< independent locks, so lookups scale across threads
};

/// Outcome of a cache lookup.
struct cache_answer {
  enum class kind {
    miss,      ///< nothing usable: ask the directory
    hit,       ///< the password matches a fresh positive entry
    stale,     ///< matches a positive entry past ttl but within stale_if_error
    negative,  ///< this exact password was recently refused
  };
  kind result = kind::miss;
  std::vector<std::string> groups;  ///< for hit and stale
};

/// Remembers directory answers per user: for a positive entry the password's digest, the
/// groups and the expiry; for negative entries only digests of refused passwords. Never the
/// password itself. Thread-safe; lookups take a shared lock on one shard.
/// Time is passed in, so tests drive it without sleeping.
class credential_cache {
 public:
  explicit credential_cache(const credential_cache_options& opts);

  cache_answer lookup(std::string_view user, const password_digest& digest, steady_time now) const;

  /// The directory accepted this password: replaces the user's positive entry (a changed
  /// password retires the old one) and drops a negative entry for the same digest.
  void store_positive(const std::string& user, const password_digest& digest, std::vector<std::string> groups,
                      steady_time now);
  /// The directory refused this password.
  void store_negative(const std::string& user, const password_digest& digest, steady_time now);

  void flush(std::string_view user);
  void flush_all();
  std::size_t size() const;

 private:
  struct negative_entry {
    password_digest digest{};
    steady_time expires{};
  };
  struct entry {
    bool has_positive = false;
    password_digest digest{};
    std::vector<std::string> groups;
    steady_time expires{};
    std::vector<negative_entry> negatives;
    std::list<std::string>::iterator order;  // position in shard::order
  };
  struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  struct shard {
    mutable std::shared_mutex mutex;
    std::unordered_map<std::string, entry, string_hash, std::equal_to<>> entries;
    std::list<std::string> order;  // least recently stored first: evicted first
  };

  shard& shard_for(std::string_view user) const;
  entry& upsert(shard& s, const std::string& user);  // caller holds the shard's lock

  credential_cache_options opts_;
  std::size_t per_shard_max_;
  std::unique_ptr<shard[]> shards_;
};

}  // namespace tollgate::auth
