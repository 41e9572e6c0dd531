#pragma once
#include "tollgate/auth/credential_cache_hmac.hpp"
#include "tollgate/common/clock.hpp"
#include "tollgate/common/sharded.hpp"

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

using tollgate::steady_time;

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
  std::string user;                 ///< the directory's name for the entry, when it has said it
  std::string user_key;             ///< fold_user_name(user), only when it differs from the key looked up
};

/// Remembers directory answers per user: for a positive entry the password's digest, the
/// groups and the expiry; for negative entries only digests of refused passwords; and the
/// directory's own name for the user's entry. Never the password itself. Thread-safe;
/// lookups take a shared lock on one shard. Time is passed in, so tests drive it without
/// sleeping.
///
/// `key` is fold_user_name() of the name as typed, so its spellings share one entry. A hit
/// needs the password's digest to match, and answers with the name the directory gave
/// (`user`), never the key: a key that two directory entries fold to answers only for the
/// password the directory accepted.
class credential_cache {
 public:
  explicit credential_cache(const credential_cache_options& opts);

  cache_answer lookup(std::string_view key, const password_digest& digest, steady_time now) const;

  /// The directory accepted this password for the entry it calls `user`: replaces the
  /// key's positive entry (a changed password retires the old one) and drops a negative
  /// entry for the same digest.
  void store_positive(const std::string& key, const std::string& user, const password_digest& digest,
                      std::vector<std::string> groups, steady_time now);
  /// The directory refused this password; `user` is its name for the entry, empty when it
  /// found none.
  void store_negative(const std::string& key, const std::string& user, const password_digest& digest,
                      steady_time now);

  /// Forgets the entry under `key` and every entry the directory named with that key's
  /// spelling (`Alice` forgets what `ALİCE` and `alice ` stored for alice). Scans every
  /// shard: for administrators, not the request path. Returns the folded directory names
  /// of the entries it forgot that differ from `key` (so their lockouts can go too).
  std::vector<std::string> flush(std::string_view key);
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
    std::string user;      // the directory's name for the entry; empty until it said
    std::string user_key;  // fold_user_name(user)
    std::list<std::string>::iterator order;  // position in shard::order
  };
  struct shard {
    mutable std::shared_mutex mutex;
    string_map<entry> entries;
    std::list<std::string> order;  // least recently stored first: evicted first
  };

  entry& upsert(shard& s, const std::string& key);  // caller holds the shard's lock
  static void name(entry& e, const std::string& user);

  credential_cache_options opts_;
  sharded<shard> shards_;
};

}  // namespace tollgate::auth
